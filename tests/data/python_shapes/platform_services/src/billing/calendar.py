"""Billing calendar rules, used by the API and by workflows."""

from datetime import date, timedelta

PAYMENT_TERMS = timedelta(days=30)


def due_date(issued: date) -> date:
    return issued + PAYMENT_TERMS


def days_overdue(issued: date) -> int:
    return (date.today() - due_date(issued)).days
