"""What the door tells other apps, without importing them.

`visit_entered` is sent for every granted entry (kiosk, front desk, API), inside the
door's transaction: receivers must only queue work after commit (the goals app does, with
`enqueue_on_commit`), never query or write, so the scan stays within its budget
(benchmarks/kiosk.py)."""

from django.dispatch import Signal

# kwargs: member_id, at (aware datetime of the entry)
visit_entered = Signal()
