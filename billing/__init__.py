"""Plans and each company's subscription (Stripe comes with the billing issue)."""
