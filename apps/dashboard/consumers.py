"""`/ws/staff/`: live events for the gym's staff dashboard (members added or changed now;
check-ins and bookings later). The REST API stays the source of truth: after a reconnect,
clients re-read it."""

from apps.common.channels import CLOSE_FORBIDDEN, TenantJsonConsumer


class StaffEventsConsumer(TenantJsonConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if not (user and user.is_authenticated and user.is_gym_staff):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.join("staff")
        await self.accept()
        self.keep_checking(lambda user: user.is_gym_staff)
        await self.send_json({"type": "hello", "gym": self.tenant.slug})
