"""K1: the skin profile (member fields in members.extra) and the history of every change."""
from __future__ import annotations

from sqlalchemy import func, select

from plugins.cosmetics_profile.models import ProfileChange


def history_count(shop) -> int:
    with shop.hk.db.read() as session:
        return session.scalar(select(func.count()).select_from(ProfileChange)
                              .where(ProfileChange.merchant_id == shop.id))


def test_k1_initial_values_are_the_first_history_entries(shop, clock):
    member_id = shop.member(occupation="教师", extra={"skin_type": "dry", "allergies": "酒精"})
    profile = shop.get(f"/members/{member_id}/skin-profile", role="cashier")
    assert profile.status_code == 200, profile.json
    assert profile.json["skin_type"] == "dry" and profile.json["has_allergies"] is True
    assert {(h["field"], h["from"], h["to"]) for h in profile.json["history"]} == {
        ("skin_type", None, "dry"), ("allergies", None, "酒精"), ("occupation", None, "教师")}


def test_k1_screen_update_records_who_when_what_and_the_note(shop, clock):
    member_id = shop.member(extra={"skin_type": "dry", "allergies": "酒精"})
    clock.at("2026-03-05 15:00")
    response = shop.put(f"/members/{member_id}/skin-profile", {
        "skin_type": "combination", "skin_concerns": ["acne", "large_pores"],
        "has_allergies": False, "products_in_use": "某品牌水乳", "change_note": "换季复查"},
        role="cashier")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["skin_type"] == "combination" and body["allergies"] == "" and not body["has_allergies"]
    latest = {h["field"]: h for h in body["history"] if h["note"] == "换季复查"}
    assert set(latest) == {"skin_type", "skin_concerns", "allergies", "products_in_use"}
    assert latest["skin_type"]["from"] == "dry" and latest["skin_type"]["to"] == "combination"
    assert latest["allergies"]["to"] is None
    assert latest["skin_type"]["staff_name"] == "cashier"
    assert latest["skin_type"]["changed_at"].startswith("2026-03-05T07:00")
    member = shop.get(f"/members/{member_id}").json
    assert member["extra"]["skin_type"] == "combination" and "allergies" not in member["extra"]
    assert member["summary"]["skin_type"] == "combination"


def test_k1_a_change_through_the_member_api_is_in_the_history_too(shop, clock):
    member_id = shop.member(extra={"skin_type": "oily"})
    patched = shop.client.patch(f"/api/v1/members/{member_id}", json={
        "extra": {"skin_type": "normal", "favourite_brands": "某品牌"}}, headers=shop.headers())
    assert patched.status_code == 200, patched.json
    history = shop.get(f"/members/{member_id}/skin-profile").json["history"]
    assert [(h["field"], h["from"], h["to"], h["staff_name"]) for h in history[:1]] == [
        ("skin_type", "oily", "normal", "owner")]  # the core hook says who changed it
    assert not any(h["field"] == "favourite_brands" for h in history)  # not a profile field


def test_k1_bad_profiles_are_refused_and_change_nothing(shop, clock):
    member_id = shop.member(extra={"skin_type": "dry"})
    before, entries = shop.get(f"/members/{member_id}").json["extra"], history_count(shop)
    cases = [
        ({"skin_concerns": ["acne"]}, "/skin_type"),
        ({"skin_type": "scaly"}, "/skin_type"),
        ({"skin_type": "dry", "has_allergies": True}, "/allergies"),
        ({"skin_type": "dry", "has_allergies": False, "allergies": "花粉"}, "/has_allergies"),
        ({"skin_type": "dry", "skin_concerns": ["acne", "acne"]}, "/skin_concerns"),
        ({"skin_type": "dry", "shoe_size": 38}, "/shoe_size"),
    ]
    for body, pointer in cases:
        response = shop.put(f"/members/{member_id}/skin-profile", body)
        assert response.status_code == 422, (body, response.json)
        assert pointer in [d["pointer"] for d in response.json["error"]["details"]], response.json
    assert shop.put("/members/999999/skin-profile", {"skin_type": "dry"}).status_code == 404
    assert shop.get(f"/members/{member_id}").json["extra"] == before
    assert history_count(shop) == entries
