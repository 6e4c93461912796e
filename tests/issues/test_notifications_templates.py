"""An event's e-mail is its kind's templates rendered with the message's own values."""

from __future__ import annotations

from types import SimpleNamespace as NS

from issues import notifications
from issues.models import EventKind


def _render(*, text: str = "", lead_department=None, due_at=None, kind=EventKind.SUBMITTED):
    problem = NS(
        pk=1,
        reference="P-1",
        title="Paint <sludge> & more",
        enterprise=NS(name="A & B"),
        lead_department=lead_department,
        due_at=due_at,
    )
    event = NS(kind=kind, text=text, is_public=True, data={})
    person = NS(language="en", is_enterprise=False)
    return notifications._EventRenderer().render(event, problem, None, person)


def test_the_text_part_is_plain_and_the_html_part_escaped():
    message = _render(text="<b>now</b>\n\nthen", kind=EventKind.INSTRUCTED)
    assert "Paint <sludge> & more" in message.text
    assert "<b>now</b>" in message.text
    assert "Paint &lt;sludge&gt; &amp; more" in message.html
    assert "<p>&lt;b&gt;now&lt;/b&gt;</p>\n\n<p>then</p>" in message.html
    assert message.subject.startswith("[P-1] ")


def test_a_problem_without_department_or_deadline_leaves_out_their_lines():
    """Not yet dispatched: no empty "Lead department:" or "Deadline:" line."""
    message = _render()
    assert "Lead department" not in message.text and "Deadline" not in message.text
    assert "Lead department" not in message.html and "Deadline" not in message.html
