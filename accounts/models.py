from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in to the gateway. Kept custom from the first migration so it can grow."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
