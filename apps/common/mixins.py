"""View mixins shared by every app's server-rendered pages."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied


class StaffRequiredMixin(LoginRequiredMixin):
    """Dashboard pages are for the gym's staff; members use the app."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_gym_staff:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
