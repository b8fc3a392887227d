"""The staff inbox (issue 14 item 2): today's member-care call list, per store.

The day's reminders (``core.reminders.reminders_for``) become ``CareTask`` rows that staff
work through: done, snooze (until a later day) or note. ``filling`` writes them (the daily
"member care" job, or the first opening of the inbox on a day the job has not run yet) and
queues the members' messages; ``tasks`` lists and changes them. Every change is one guarded
UPDATE, so a done task stays done and two clicks at once do not both count.
"""
from .filling import MEMBER_CARE_JOB, ensure_filled, fill_day, member_care_job  # noqa: F401
from .tasks import (ACTIONS, CARRY_DAYS, MAX_LIMIT, MAX_NOTE, MAX_SNOOZE_DAYS, STATUS_FILTERS, Viewer,  # noqa: F401
                    act, get_task, kind_titles, list_tasks, one_task_json, task_json)
