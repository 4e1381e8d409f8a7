"""`/ws/me/`: the signed-in person's own notifications as they are created.

Signed in as on the other sockets: the session cookie (web), or an app's allauth session
token sent as that cookie (`Cookie: sessionid=<token>`; the token is the session key).
Anonymous: 4401. The socket joins `<schema>.user-<user id>`, where `notify()` sends
`notification.created` after commit; on connect it says `hello` with the unread count.
REST stays the truth: after reconnecting, clients re-read `GET /api/v1/notifications/`."""

from apps.common.channels import TenantJsonConsumer
from apps.members.selectors import member_for_user
from apps.notifications import selectors


def user_group(user_id: int) -> str:
    """The group `notify()` sends a login's events to (hub: `Target.live_user_id`)."""
    return f"user-{user_id}"


def _unread(user) -> int:
    return selectors.unread_count(member=member_for_user(user=user), user=user)


class MyNotificationsConsumer(TenantJsonConsumer):
    async def connect(self):
        user = await self.admit(groups=lambda user: [user_group(user.pk)])
        if user is None:
            return
        unread = await self.db(_unread, user)
        await self.send_json({"type": "hello", "gym": self.tenant.slug, "unread_count": unread})
