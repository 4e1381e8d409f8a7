from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect

from apps.members.selectors import member_for_user


class MemberRequiredMixin(LoginRequiredMixin):
    """Member web app pages: a logged-in person with a member profile in this gym, found
    once as `self.member`. Staff without one go to the dashboard; anyone else gets 404
    (a login of another gym never sees that this one has the page)."""

    member = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.member = member_for_user(user=request.user)
        if self.member is None:
            if getattr(request.user, "is_gym_staff", False):
                return redirect("dashboard-home")
            raise Http404
        request.member = self.member  # for the shell's tags (the navigation's badges)
        return super().dispatch(request, *args, **kwargs)
