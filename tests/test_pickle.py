"""Policies pickle: a checked policy keeps its types and symbols on its own nodes, and a compiled
policy or a `Policy` (which pickle as their checked policy and compile again) gives the verdicts
of the original on any message."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given

from bsm_rules.language import ast, FieldSymbol, PatternSymbol, VariableSymbol
from bsm_rules.language.symbols import NodeTable
from bsm_rules.messages.model import parse_message

from policy_strategies import NOWHERE
from test_evaluation_properties import AMAZON, NOW, SP_API, messages

AMAZON_AGAIN = pickle.loads(pickle.dumps(AMAZON))
SP_API_AGAIN = pickle.loads(pickle.dumps(SP_API))
AMAZON_COMPILED_AGAIN = pickle.loads(pickle.dumps(AMAZON.compiled))


def _names(checked) -> list[ast.Name]:
    return [node for rule in checked.rules for node in ast.walk(rule.definition) if isinstance(node, ast.Name)]


@pytest.mark.parametrize("policy", [AMAZON, SP_API], ids=["amazon", "amazon-sp-api"])
def test_a_checked_policy_pickles_with_its_types_and_symbols_on_its_own_nodes(policy):
    checked = policy.checked
    again = pickle.loads(pickle.dumps(checked))
    names, names_again = _names(checked), _names(again)
    assert names_again == names and names  # equal by value, and new objects
    assert not {id(node) for node in names} & {id(node) for node in names_again}
    for node, node_again in zip(names, names_again):
        assert again.symbol_of(node_again) == checked.symbol_of(node)
        assert again.type_of(node_again) == checked.type_of(node)
    assert len(again.types) == len(checked.types) and len(again.symbols) == len(checked.symbols)
    kinds = {type(symbol) for symbol in again.symbols.values()}
    assert {FieldSymbol, PatternSymbol} <= kinds
    # A pattern's symbol is the very definition the unpickled policy holds.
    for symbol in again.symbols.values():
        if isinstance(symbol, PatternSymbol):
            assert again.patterns[symbol.definition.name.name] is symbol.definition


def test_a_node_table_tells_equal_nodes_apart():
    first, second = ast.Name("body", NOWHERE), ast.Name("body", NOWHERE)
    assert first == second
    table = NodeTable([(first, VariableSymbol("x"))])
    table[second] = VariableSymbol("y")
    assert (table.get(first), table.get(second), table.get(ast.Name("body", NOWHERE))) == (
        VariableSymbol("x"), VariableSymbol("y"), None)
    first_again, second_again, table_again = pickle.loads(pickle.dumps((first, second, table)))
    assert table_again.get(first_again) == VariableSymbol("x")
    assert table_again.get(second_again) == VariableSymbol("y")
    assert table_again.get(first) is None


def test_an_unpickled_policy_is_compiled_again():
    assert AMAZON_AGAIN.compiled is not AMAZON.compiled
    assert AMAZON_AGAIN.compiled.checked is AMAZON_AGAIN.checked
    assert AMAZON_AGAIN.rule_ids == AMAZON.rule_ids and AMAZON_AGAIN.name == AMAZON.name
    assert AMAZON_COMPILED_AGAIN.runner_source == AMAZON.compiled.runner_source


@given(messages())
def test_the_amazon_policy_judges_alike_after_a_pickle_round_trip(message):
    expected = AMAZON.evaluate(message, now=NOW).to_json()
    assert AMAZON_AGAIN.evaluate(message, now=NOW).to_json() == expected
    assert AMAZON_COMPILED_AGAIN.evaluate(parse_message(message), None, NOW).to_json() == expected


@given(messages(SP_API))
def test_the_sp_api_policy_judges_alike_after_a_pickle_round_trip(message):
    assert SP_API_AGAIN.evaluate(message, now=NOW).to_json() == SP_API.evaluate(message, now=NOW).to_json()

