"""Procedures as data: process bundles and the catalog, forms and their validation, the
organisation, subjects, and the comparison of versions."""
