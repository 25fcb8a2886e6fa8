"""Forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice,
                     SelectField, StringField, SubmitField, TextAreaField)
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from .fonts import unprintable
from .i18n import LANGUAGE_NAMES, LANGUAGES, PROGRAM_LABELS, join_list
from .models import ROLE_LABELS, Role
from .rules import email as email_rule

LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


class Email:
    """An address by the one rule (lms/rules/email.py), ignoring spaces around it; the mail proves it exists."""

    def __call__(self, form, field):
        if not email_rule.is_address((field.data or "").strip()):
            raise ValidationError(_l("Enter a valid e-mail address."))


class Printable:
    """A name the certificate's fonts can print (lms.fonts): refused here, not when the certificate is due."""

    def __call__(self, form, field):
        lacking = unprintable(field.data or "")
        if lacking:
            raise ValidationError(unprintable_message(lacking))


def unprintable_message(chars: str) -> str:
    return str(_l("This name contains characters that cannot be printed on a certificate: %(chars)s",
                  chars=join_list(chars)))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileFields:
    name_ja = StringField(_l("Name in Japanese"), validators=[Optional(), Length(max=120), Printable()],
                          description=_l("As it should appear on Japanese certificates, e.g. 川崎 花子"))
    name_latin = StringField(_l("Name in Latin script"), validators=[DataRequired(), Length(max=120), Printable()],
                             description=_l("As it should appear on English certificates, e.g. Hanako Kawasaki"))
    organisation = StringField(_l("Organisation (your startup)"), validators=[Optional(), Length(max=200)])
    locale = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)


class PasswordFields:
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class RegisterForm(ProfileFields, PasswordFields, FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Create account"))


class AcceptInvitationForm(ProfileFields, PasswordFields, FlaskForm):
    submit = SubmitField(_l("Set password and start"))


class ProfileForm(ProfileFields, FlaskForm):
    submit = SubmitField(_l("Save profile"))


class ChangePasswordForm(PasswordFields, FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email()])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(PasswordFields, FlaskForm):
    submit = SubmitField(_l("Set new password"))


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons that change state."""


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class RoleFields:
    trainee = BooleanField(ROLE_LABELS[Role.TRAINEE])
    mentor = BooleanField(ROLE_LABELS[Role.MENTOR])
    admin = BooleanField(ROLE_LABELS[Role.ADMIN])

    def selected_roles(self) -> set[Role]:
        return {role for role in Role if getattr(self, role.value).data}


class NewUserForm(ProfileFields, RoleFields, FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Initial password"), validators=[Optional()],
                             description=_l("Leave empty to send an invitation link by e-mail instead."))
    submit = SubmitField(_l("Create account"))


class EditUserForm(RoleFields, FlaskForm):
    active = BooleanField(_l("Active (can log in)"))
    submit = SubmitField(_l("Save"))


class EnrolUserForm(FlaskForm):
    course = SelectField(_l("Course"), coerce=int)
    submit = SubmitField(_l("Enrol in course"))


class CohortForm(FlaskForm):
    # A cohort's name, not a person's: labels of their own (a person's "Name in Japanese" is 氏名).
    name_ja = StringField(_l("Cohort name in Japanese"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Cohort name in English"), validators=[DataRequired(), Length(max=200)])
    program = SelectField(_l("Program"), choices=[SelectChoice(k, v) for k, v in PROGRAM_LABELS.items()])
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()],
                          description=_l("Assignment due dates count from this day."))
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    submit = SubmitField(_l("Create cohort"))


class CohortEditForm(CohortForm):
    submit = SubmitField(_l("Save"))


MENTOR_MODE_CHOICES = [SelectChoice("all", _l("Every mentor of the cohort reviews every trainee")),
                       SelectChoice("named", _l("Each trainee has named mentors"))]


class MentorModeForm(FlaskForm):
    mode = RadioField(_l("Mentor allocation"), choices=MENTOR_MODE_CHOICES)
    submit = SubmitField(_l("Save allocation"))


COHORT_ROLE_CHOICES = [SelectChoice("trainee", ROLE_LABELS[Role.TRAINEE]),
                       SelectChoice("mentor", ROLE_LABELS[Role.MENTOR])]


class CohortImportForm(FlaskForm):
    text = TextAreaField(_l("Paste e-mail addresses or spreadsheet rows"), validators=[Optional()],
                         description=_l("One address per line, or rows copied from Excel with a heading row."),
                         render_kw={"rows": 10, "class": "bulk-text", "spellcheck": "false"})
    file = FileField(_l("Or choose a CSV file"),
                     description=_l("Saved from Excel as “CSV UTF-8” or “CSV” (Shift_JIS). The file takes "
                                    "precedence over pasted text."))
    role = SelectField(_l("Role for rows that do not say"), choices=COHORT_ROLE_CHOICES)
    create_accounts = BooleanField(_l("Create accounts and send invitations for new addresses"))
    submit = SubmitField(_l("Preview"))


class CohortImportConfirmForm(FlaskForm):
    text = HiddenField()
    role = HiddenField()
    create_accounts = HiddenField()
    digest = HiddenField()
    submit = SubmitField(_l("Add to the cohort"))


class CohortMemberForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role in the cohort"), choices=COHORT_ROLE_CHOICES)
    submit = SubmitField(_l("Add to cohort"))


class AllocateMentorForm(FlaskForm):
    mentor = SelectField(_l("Mentor"), coerce=int)
    submit = SubmitField(_l("Allocate mentor"))


class RevokeCertificateForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the revocation"), validators=[DataRequired(), Length(max=2000)],
                           description=_l("The holder is notified, and anyone who verifies the certificate sees "
                                          "this reason."))
    submit = SubmitField(_l("Revoke certificate"))


class AnnouncementForm(FlaskForm):
    title_ja = StringField(_l("Title in Japanese"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=200)])
    body_ja = TextAreaField(_l("Text in Japanese"), validators=[DataRequired(), Length(max=20000)],
                            description=_l("Markdown: **bold**, lists, links."), render_kw={"rows": 8})
    body_en = TextAreaField(_l("Text in English"), validators=[DataRequired(), Length(max=20000)],
                            description=_l("Markdown: **bold**, lists, links."), render_kw={"rows": 8})
    submit = SubmitField(_l("Post and send to the cohort"))


class ContentUploadForm(FlaskForm):
    package = FileField(_l("Course package (zip)"), validators=[FileRequired(_l("Choose a zip file."))],
                        description=_l("A zip of one course folder, as downloaded here. Nothing changes until you "
                                       "publish it after the preview."))
    target = SelectField(_l("Course it replaces"), validate_choice=False)
    submit = SubmitField(_l("Check and preview"))
