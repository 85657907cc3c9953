"""lib.feedback.run_action: the one form → action → message helper of the views."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from civilaffairs.lib.feedback import run_action


@pytest.fixture
def request_():
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)
    return request


def texts(request):
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_a_done_action_answers_true_with_its_value_and_says_done(request_):
    outcome = run_action(request_, lambda: {"paid": 3}, done=lambda v: f"{v['paid']} paid")
    assert outcome and outcome.ok and outcome.value == {"paid": 3}
    assert texts(request_) == [("success", "3 paid")]


def test_an_action_returning_nothing_is_still_done(request_):
    outcome = run_action(request_, lambda: None, done="Saved.")
    assert outcome and outcome.value is None
    assert texts(request_) == [("success", "Saved.")]


def test_a_refusal_answers_false_and_shows_its_reasons_on_the_form(request_):
    from django import forms

    class F(forms.Form):
        amount = forms.IntegerField()

    form = F({"amount": "3"})
    assert form.is_valid()

    def refuse():
        raise ValidationError({"amount": "Too much.", "other": "Not now."})

    outcome = run_action(request_, refuse, done="never", form=form)
    assert not outcome and outcome.value is None
    assert form.errors["amount"] == ["Too much."]
    assert form.non_field_errors() == ["Not now."]
    assert sorted(texts(request_)) == [("error", "Not now."), ("error", "Too much.")]


def test_a_permission_refusal_says_only_the_sentence_for_the_user(request_):
    def deny():
        raise PermissionDenied("internal reason for the log")

    with translation.override("en"):
        assert not run_action(request_, deny)
        assert texts(request_) == [("error", "You may not do this.")]


def test_a_hidden_permission_refusal_is_a_404(request_):
    def deny():
        raise PermissionDenied

    with pytest.raises(Http404):
        run_action(request_, deny, denied_status=404)
    assert texts(request_) == []


def test_a_permission_refusal_can_stay_the_403_page(request_):
    def deny():
        raise PermissionDenied

    with pytest.raises(PermissionDenied):
        run_action(request_, deny, done="never", denied_status=403)
    assert texts(request_) == []


def test_a_hidden_refusal_still_shows_a_validation_error(request_):
    def refuse():
        raise ValidationError("Closed.")

    assert not run_action(request_, refuse, denied_status=404)
    assert texts(request_) == [("error", "Closed.")]


def test_an_unknown_status_for_a_refusal_is_a_mistake_in_the_view(request_):
    with pytest.raises(ValueError):
        run_action(request_, lambda: None, denied_status=500)


def test_a_form_only_refusal_is_on_the_form_and_not_in_the_messages(request_):
    from django import forms

    class F(forms.Form):
        amount = forms.IntegerField()

    form = F({"amount": "3"})
    assert form.is_valid()

    def refuse():
        raise ValidationError({"amount": "Too much.", "other": "Not now."})

    outcome = run_action(request_, refuse, done="never", form=form, form_only=True)
    assert not outcome
    assert form.errors["amount"] == ["Too much."]
    assert form.non_field_errors() == ["Not now."]
    assert texts(request_) == []


def test_a_form_only_page_still_says_done_and_still_shows_a_permission_refusal(request_):
    from django import forms

    form = forms.Form({})
    assert run_action(request_, lambda: 1, done="Saved.", form=form, form_only=True)

    def deny():
        raise PermissionDenied

    with translation.override("en"):
        assert not run_action(request_, deny, form=form, form_only=True)
    assert texts(request_) == [("success", "Saved."), ("error", "You may not do this.")]
    assert not form.errors


def test_form_only_without_a_form_is_a_mistake_in_the_view(request_):
    with pytest.raises(ValueError):
        run_action(request_, lambda: 1, form_only=True)
