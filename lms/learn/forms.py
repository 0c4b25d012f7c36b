"""Forms of the learner's pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.forms import Form


class FeedbackForm(Form):
    rating = RadioField(
        _l("How helpful was this unit?"),
        choices=[
            SelectChoice("1", _l("1 – not helpful")),
            SelectChoice("2", "2"),
            SelectChoice("3", "3"),
            SelectChoice("4", "4"),
            SelectChoice("5", _l("5 – very helpful")),
        ],
        validators=[DataRequired(message=_l("Please choose a rating."))],
    )
    comment = TextAreaField(
        _l("What should the trainer know?"),
        description=_l("Your name is not shown to the trainer."),
        validators=[Length(max=2000)],
    )
