"""Campaigns (R3, issue 14 item 5): a message and an optional benefit to a segment of members.

- definitions.py: set a campaign up (name, segment, message, benefit, schedule), edit, cancel
- segments.py:    the segment definition, checked and compiled to one SQL query; preview
- json_fields.py: members' extra field values in SQL on both databases
- sending.py:     send in batches, once per member (``campaign_recipients``), resumable
- results.py:     delivered, failed, opted out, redeemed and bought within N days
- jobs.py:        the scheduler's job that sends scheduled campaigns when their time comes

docs/campaigns.md is the owner's guide; docs/api.md the API's.
"""
