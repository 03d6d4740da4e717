"""Workflow definitions: ``@workflow.defn`` classes, their options and their entry methods."""

from __future__ import annotations

import ast

from tprlint.facts.python.code import ModuleCode
from tprlint.facts.python.values import Expr, Missing
from tprlint.model import Location
from tprlint.records import frozen

WORKFLOW_DEFN = "temporalio.workflow.defn"
# Decorators that make a method workflow code, and the role each gives it.
METHOD_ROLES = {
    "temporalio.workflow.run": "run",
    "temporalio.workflow.signal": "signal",
    "temporalio.workflow.update": "update",
    "temporalio.workflow.query": "query",
    "temporalio.workflow.init": "init",
}


@frozen
class WorkflowMethod:
    name: str
    role: str  # run, signal, update, query, init, validator
    location: Location


@frozen
class WorkflowClass:
    name: str  # the class name within its module
    location: Location  # the `class` line
    decorator: Location  # the `@workflow.defn` line
    keywords: tuple[tuple[str, Expr], ...]  # @workflow.defn(...) options, unfolded
    methods: tuple[WorkflowMethod, ...]

    def option(self, name: str) -> Expr:
        return next((value for key, value in self.keywords if key == name), Missing())


def extract_workflows(code: ModuleCode, classes: list[WorkflowClass]) -> None:
    for body in code.bodies:
        node = body.node
        if not isinstance(node, ast.ClassDef) or WORKFLOW_DEFN not in code.decorator_names(body):
            continue
        decorator = next(d for d, n in zip(node.decorator_list, code.decorator_names(body), strict=True)
                         if n == WORKFLOW_DEFN)
        keywords: tuple[tuple[str, Expr], ...] = ()
        if isinstance(decorator, ast.Call):
            keywords = tuple((k.arg, body.evaluator.eval(k.value)) for k in decorator.keywords if k.arg)
        classes.append(WorkflowClass(
            name=body.qualname, location=code.loc(node), decorator=code.loc(decorator),
            keywords=keywords, methods=tuple(_methods(code, node)),
        ))


def _methods(code: ModuleCode, node: ast.ClassDef) -> list[WorkflowMethod]:
    found = []
    for item in node.body:
        if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in item.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualname = code.qualname(target)
            role = METHOD_ROLES.get(qualname)
            # `@my_update.validator` marks an update's validator: workflow code too.
            if role is None and isinstance(target, ast.Attribute) and target.attr == "validator":
                role = "validator"
            if role is not None:
                found.append(WorkflowMethod(item.name, role, code.loc(item)))
                break
    return found
