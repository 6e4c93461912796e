"""Key task URLs."""

app_name = "keytasks"

urlpatterns: list = []
