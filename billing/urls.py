"""Billing URLs on a company's host (the panel's billing page)."""

from django.urls import path

from billing import views

urlpatterns = [
    path("", views.billing_view, name="billing"),
    path("checkout/", views.checkout_view, name="billing-checkout"),
    path("portal/", views.portal_view, name="billing-portal"),
]
