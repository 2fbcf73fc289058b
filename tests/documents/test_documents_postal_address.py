"""French postal addresses (NF Z10-011): unit cases and properties over arbitrary input."""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.errors import DocumentError
from documents.postal_address import (
    MAX_CHARS,
    MAX_LINES,
    PostalRecipient,
    country_name_fr,
    format_address,
    normalize,
)

ALLOWED = set(string.ascii_uppercase + string.digits + " ")


def test_norm_order_and_empty_lines_dropped() -> None:
    lines = format_address(
        PostalRecipient(
            company="Société Générale d'Édition",
            title="Monsieur",
            name="François L'Hôte",
            name_extra="Service abonnements",
            street="3, allée des Châtaigniers",
            extra="Lieu-dit « Les Forges »",
            postcode="07100",
            city="Annonay",
        )
    )
    assert lines == (
        "SOCIETE GENERALE D EDITION",
        "M FRANCOIS L HOTE",
        "SERVICE ABONNEMENTS",
        "3 ALLEE DES CHATAIGNIERS",
        "LIEU DIT LES FORGES",
        "07100 ANNONAY",
    )


def test_person_without_company_or_complements() -> None:
    lines = format_address(
        PostalRecipient(title="Mme", name="Zoé Lebœuf", street="1 place Bellecour",
                        postcode="69002", city="Lyon")
    )
    assert lines == ("MME ZOE LEBOEUF", "1 PLACE BELLECOUR", "69002 LYON")


def test_foreign_address_ends_with_french_country_name() -> None:
    lines = format_address(
        PostalRecipient(name="Ana García", street="Calle Mayor 10", postcode="28013",
                        city="Madrid", country="ES")
    )
    assert lines[-1] == "ESPAGNE"
    assert lines[-2] == "28013 MADRID"
    assert country_name_fr("GB") == "ROYAUME UNI"
    assert country_name_fr("BE") == "BELGIQUE"


def test_long_line_is_abbreviated_before_any_error() -> None:
    street = "145 boulevard du Général Charles de Gaulle"
    assert len(normalize(street)) > MAX_CHARS
    lines = format_address(PostalRecipient(name="X", street=street, postcode="92100",
                                           city="Boulogne-Billancourt"))
    # Only the first abbreviation needed is applied (GENERAL stays in full).
    assert lines[1] == "145 BD DU GENERAL CHARLES DE GAULLE"
    assert lines[2] == "92100 BOULOGNE BILLANCOURT"


def test_short_lines_are_not_abbreviated() -> None:
    lines = format_address(PostalRecipient(name="X", street="2 avenue Foch", postcode="75016",
                                           city="Paris"))
    assert lines[1] == "2 AVENUE FOCH"


def test_line_still_too_long_is_a_clear_error() -> None:
    with pytest.raises(DocumentError, match="trop longue"):
        format_address(PostalRecipient(
            name="X", street="12 rue Anticonstitutionnellement Extraordinairement Longue",
            postcode="75001", city="Paris"))


def test_seven_lines_is_an_error() -> None:
    with pytest.raises(DocumentError, match="7 lignes"):
        format_address(PostalRecipient(company="ACME", name="Jean Roux", name_extra="Bât B",
                                       street="1 rue X", extra="BP 7", postcode="1000",
                                       city="Bruxelles", country="BE"))


def test_missing_city_is_an_error() -> None:
    with pytest.raises(DocumentError, match="code postal et ville"):
        format_address(PostalRecipient(name="Jean Roux", street="1 rue X"))


def test_unknown_country_is_an_error() -> None:
    with pytest.raises(DocumentError, match="Code pays inconnu"):
        format_address(PostalRecipient(name="A", postcode="1", city="B", country="XX"))


text_field = st.one_of(st.none(), st.text(max_size=45))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    company=text_field, title=st.one_of(st.none(), st.sampled_from(["Madame", "M.", "Dr"])),
    name=text_field, name_extra=text_field, street=text_field, extra=text_field,
    postcode=st.text(alphabet=string.digits, min_size=5, max_size=5),
    city=st.text(min_size=1, max_size=30),
    country=st.sampled_from(["FR", "DE", "BE", "IT", "US"]),
)
def test_any_address_is_normalised_or_refused(**fields: str | None) -> None:
    try:
        lines = format_address(PostalRecipient(**fields))  # type: ignore[arg-type]
    except DocumentError:
        return
    assert 1 <= len(lines) <= MAX_LINES
    for line in lines:
        assert line, "empty lines are dropped"
        assert len(line) <= MAX_CHARS
        assert set(line) <= ALLOWED, line  # upper case, no punctuation, no accents
        assert line == line.strip() and "  " not in line


@given(st.text())
def test_normalize_output_alphabet(text: str) -> None:
    result = normalize(text)
    assert set(result) <= ALLOWED
    assert result == normalize(result)  # idempotent
