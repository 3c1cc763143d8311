"""The type stubs (__init__.pyi) and the documentation match the module."""
import ast
import inspect
import pathlib
import pydoc

import neardup

STUB = pathlib.Path(neardup.__file__).with_name("__init__.pyi")


def stub_tree():
    return ast.parse(STUB.read_text(encoding="utf-8"))


def stub_functions(body):
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            if args.vararg:
                names.append("*" + args.vararg.arg)
            out[node.name] = [n for n in names if n not in ("self", "cls")]
    return out


def runtime_params(obj):
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls", "$self", "$cls"):
            continue
        names.append("*" + p.name if p.kind is p.VAR_POSITIONAL else p.name)
    return names


def test_every_public_name_has_a_stub_and_every_stub_a_name():
    tree = stub_tree()
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {t.id for n in tree.body if isinstance(n, ast.AnnAssign) for t in [n.target]}
    public = set(neardup.__all__)
    assert public - stubbed == set()
    assert {n for n in stubbed if not n[0].isupper() or hasattr(neardup, n)} - public - {"DEFAULT_MAX_BYTES"} == set()


def test_stub_parameters_match_the_runtime():
    tree = stub_tree()
    for name, params in stub_functions(tree.body).items():
        got = runtime_params(getattr(neardup, name))
        assert got == params, name
    checked = 0
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        runtime_cls = getattr(neardup, cls.name)
        for name, params in stub_functions(cls.body).items():
            if name.startswith("__") and name != "__init__":
                continue
            obj = runtime_cls if name == "__init__" else getattr(runtime_cls, name)
            got = runtime_params(obj)
            if got is not None:
                assert got == params, f"{cls.name}.{name}"
                checked += 1
        for node in cls.body:  # properties and fields exist
            if isinstance(node, ast.FunctionDef) and any(getattr(d, "id", None) == "property" for d in node.decorator_list):
                assert hasattr(runtime_cls, node.name), f"{cls.name}.{node.name}"
    assert checked >= 15


def test_everything_public_is_documented():
    for name in neardup.__all__:
        obj = getattr(neardup, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name
    text = pydoc.render_doc(neardup, renderer=pydoc.plaintext)
    for needle in ("Collection(items=()", "def pairs", "passages", "IndexFileError", "Index.create"):
        assert needle in text or needle.replace("def ", "") in text, needle
    assert "containment_a_in_b" in pydoc.render_doc(neardup.Pair, renderer=pydoc.plaintext)


def test_stubs_and_marker_are_installed_beside_the_module():
    here = pathlib.Path(neardup.__file__).parent
    assert (here / "py.typed").exists() and STUB.exists()


def test_every_result_field_has_a_stub():
    # The other direction of the property check above: a field added to a result type in C (or to
    # Verdict) without its stub fails here.
    import types
    tree = stub_tree()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        runtime_cls = getattr(neardup, cls.name)
        fields = list(getattr(runtime_cls, "_fields", ()))
        fields += [k for k, v in vars(runtime_cls).items() if isinstance(v, types.MemberDescriptorType)]
        stubbed = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        stubbed |= {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign)}
        assert set(fields) - stubbed == set(), cls.name
    assert isinstance(vars(neardup.Pair)["vocabulary_b_in_a"], types.MemberDescriptorType)
