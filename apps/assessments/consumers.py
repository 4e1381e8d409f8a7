"""`/ws/assessments/`: a logged-in user's own attempt status changes (queued ->
processing -> valid / invalid / failed). REST stays the source of truth: after a
reconnect, clients re-read `GET /api/v1/assessments/attempts/`."""

from apps.assessments.services import user_group
from apps.common.channels import CLOSE_UNAUTHENTICATED, TenantJsonConsumer


class AssessmentStatusConsumer(TenantJsonConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.join(user_group(user.pk))
        await self.accept()
        self.keep_checking(lambda user: True)  # signed in as the same user
        await self.send_json({"type": "hello", "gym": self.tenant.slug})
