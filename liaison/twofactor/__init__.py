"""Two-factor sign-in: who must use it (policy), enrolment, recovery codes and the admin's
reset (services), the second step after the password (views) and its enforcement on every
other page (middleware). Built on django-otp: a TOTP device for the authenticator app and a
static device holding the recovery codes."""
