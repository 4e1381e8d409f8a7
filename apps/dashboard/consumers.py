"""`/ws/staff/`: live events for the gym's staff dashboard (members added or changed now;
check-ins and bookings later). The REST API stays the source of truth: after a reconnect,
clients re-read it."""

from apps.common.channels import CLOSE_FORBIDDEN, TenantJsonConsumer


class StaffEventsConsumer(TenantJsonConsumer):
    async def connect(self):
        staff = await self.admit(
            lambda user: user.is_gym_staff, groups=["staff"], anonymous_code=CLOSE_FORBIDDEN
        )
        if staff is None:
            return
        await self.send_json({"type": "hello", "gym": self.tenant.slug})
