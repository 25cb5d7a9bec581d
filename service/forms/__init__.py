"""Server-side validation of form-js forms: the server never accepts what the form would reject."""
