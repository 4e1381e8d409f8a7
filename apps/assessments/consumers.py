"""`/ws/assessments/`: a logged-in user's own attempt status changes (queued ->
processing -> valid / invalid / failed). REST stays the source of truth: after a
reconnect, clients re-read `GET /api/v1/assessments/attempts/`."""

from apps.assessments.services import user_group
from apps.common.channels import TenantJsonConsumer


class AssessmentStatusConsumer(TenantJsonConsumer):
    async def connect(self):
        if await self.admit(groups=lambda user: [user_group(user.pk)]) is None:
            return
        await self.send_json({"type": "hello", "gym": self.tenant.slug})
