"""A typed, data-only codec for the on-disk cache: dataclasses to JSON values and back.

A cache file is foreign input (it can be restored from CI storage, or planted by whoever controls the
folder), so it is never unpickled: it holds plain JSON, and decoding rebuilds only the dataclass the
caller asks for, checking every value against the type its field declares (``dataclasses.fields`` and
the annotations, evaluated as ``typing.get_type_hints`` does). Anything else - a wrong type, a missing or
extra field, an unknown union member - raises ``CodecError``, which the cache treats as a miss.

A dataclass's decoder is a function written for it from this module's own text (its fields are ``v0``,
``v1``... and their names appear only as string literals) the first time a value of it is read: the
data never reaches the source, it only flows through the checks.

Encodings (compact, because a large tree has hundreds of thousands of facts):
- a dataclass is a list of its field values in declaration order;
- ``X | None`` is ``null`` or X's encoding; any other union is ``[index of the member, value]``;
- tuples, lists, sets and frozensets are lists; an enum member is its value; bytes are latin-1 text;
- a dict with ``str`` keys is an object, any other dict a list of ``[key, value]`` pairs;
- ``object`` (YAML data kept as written) must already be JSON data: str keys, no other types.

Encoding checks the value against the declared types too, so nothing is stored that would not load.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import inspect
import operator
import sys
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


class CodecError(ValueError):
    """A value does not match its declared type (when encoding) or the stored data does not (decoding)."""


@dataclasses.dataclass
class _Codec:
    encode: Encoder
    decode: Decoder
    schema: str  # a description of the type, part of the cache's schema digest
    may_be_null: bool = False  # its encoding can be null (so X | None needs a tag)
    exact_types: frozenset[type] = frozenset()  # a scalar stored as itself: the classes it may have


class _Builder:
    """Builds (and memoises) the encoder/decoder pair of each type; dataclasses may be recursive."""

    def __init__(self) -> None:
        self.codecs: dict[object, _Codec] = {}
        self.dataclass_schemas: dict[type, str] = {}
        # The dataclasses each dataclass's fields mention: a root's schema is its closure alone, so
        # its digest does not depend on which other roots were built before with this builder.
        self.mentions: dict[type, set[type]] = {}

    def forget_all_but(self, codecs: set[object], schemas: set[type], mentions: set[type]) -> None:
        """Drop what was built since these were the built types: after a build that failed."""
        for key in set(self.codecs) - codecs:
            del self.codecs[key]
        for cls in set(self.dataclass_schemas) - schemas:
            del self.dataclass_schemas[cls]
        for cls in set(self.mentions) - mentions:
            del self.mentions[cls]

    def codec(self, tp: object) -> _Codec:
        found = self.codecs.get(tp)
        if found is None:
            found = self._build(tp)
            self.codecs[tp] = found
        return found

    def _build(self, tp: object) -> _Codec:
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            return self._dataclass(tp)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum(tp)
        if tp in _SCALARS:
            return _SCALARS[tp]
        if tp is object:
            return _Codec(_encode_plain, _decode_plain, "object", may_be_null=True)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (types.UnionType, typing.Union):
            return self._union(args)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return _sequence(self.codec(args[0]), tuple, "tuple")
            return self._fixed_tuple(args)
        if origin is list:
            return _sequence(self.codec(args[0]), list, "list")
        if origin is set:
            return _sequence(self.codec(args[0]), set, "set")
        if origin is frozenset:
            return _sequence(self.codec(args[0]), frozenset, "frozenset")
        if origin is dict:
            return self._dict(args[0], args[1])
        if origin is typing.Literal:
            return _literal(args)
        raise TypeError(f"the cache cannot store values of type {tp!r}")

    def _dataclass(self, cls: type) -> _Codec:
        # A placeholder first: a recursive dataclass (Arith holds values that may be Arith) refers to
        # its own codec, whose functions look up the finished one when called.
        placeholder = _Codec(lambda v: self.codecs[cls].encode(v), lambda d: self.codecs[cls].decode(d),
                             f"@{_name(cls)}")
        self.codecs[cls] = placeholder
        hints = _field_types(cls)
        fields = dataclasses.fields(cls)
        names = tuple(f.name for f in fields)
        self.mentions[cls] = {held for f in fields for held in _dataclasses_in(hints[f.name])}
        field_codecs = [self.codec(hints[f.name]) for f in fields]
        encoders = tuple(c.encode for c in field_codecs)
        decoders = tuple(c.decode for c in field_codecs)
        by_keyword = any(f.kw_only for f in fields)
        if any(not f.init for f in fields):
            raise TypeError(f"the cache cannot rebuild {_name(cls)}: it has fields that __init__ does not take")
        count = len(fields)
        self.dataclass_schemas[cls] = ";".join(f"{n}:{c.schema}" for n, c in zip(names, field_codecs, strict=True))

        def encode(value: Any) -> Any:
            if type(value) is not cls:
                raise CodecError(f"expected {_name(cls)}, got {type(value).__name__}")
            return [enc(getattr(value, name)) for enc, name in zip(encoders, names, strict=True)]

        def decode(data: Any) -> Any:
            if type(data) is not list or len(data) != count:
                raise CodecError(f"{_name(cls)}: expected a list of {count} fields")
            values = [dec(item) for dec, item in zip(decoders, data, strict=True)]
            if by_keyword:
                return cls(**dict(zip(names, values, strict=True)))
            return cls(*values)

        if _plain_instance_dict(cls):
            return _lazy_fields_codec(cls, names, field_codecs, encode)
        return _Codec(encode, decode, f"@{_name(cls)}")

    def _union(self, args: tuple[Any, ...]) -> _Codec:
        members = [a for a in args if a is not type(None)]
        nullable = len(members) < len(args)
        if len(members) == 1:
            inner = self.codec(members[0])
            if inner.exact_types and not inner.may_be_null:  # str | None: a scalar check, no wrapper
                return _scalar_of(inner.exact_types | {type(None)}, f"{inner.schema}|None", may_be_null=True)
            if not inner.may_be_null:
                return _optional(inner)
        codecs = [self.codec(m) for m in members]
        schema = "|".join(c.schema for c in codecs) + ("|None" if nullable else "")
        # Which member a value belongs to, by its exact class (bool is not int, a subclass is not its base).
        by_class: dict[type, int] = {}
        for index, member in enumerate(members):
            for cls in _classes_of(member):
                by_class.setdefault(cls, index)
        encoders = [c.encode for c in codecs]

        def encode(value: Any) -> Any:
            if value is None and nullable:
                return None
            index = by_class.get(type(value))
            if index is None:
                raise CodecError(f"{type(value).__name__} is not one of {schema}")
            return [index, encoders[index](value)]

        def decode(data: Any) -> Any:
            if data is None and nullable:
                return None
            if type(data) is not list or len(data) != 2 or type(data[0]) is not int or not 0 <= data[0] < len(members):
                raise CodecError(f"expected a tagged value of {schema}")
            return codecs[data[0]].decode(data[1])  # looked up now: a dataclass's decoder is written when first used

        return _Codec(encode, decode, f"({schema})", may_be_null=nullable)

    def _fixed_tuple(self, args: tuple[Any, ...]) -> _Codec:
        codecs = [self.codec(a) for a in args]
        encoders = tuple(c.encode for c in codecs)
        count = len(codecs)

        def encode(value: Any) -> Any:
            if type(value) is not tuple or len(value) != count:
                raise CodecError(f"expected a tuple of {count}")
            return [enc(item) for enc, item in zip(encoders, value, strict=True)]

        def decode(data: Any) -> Any:
            if type(data) is not list or len(data) != count:
                raise CodecError(f"expected a list of {count}")
            return tuple(c.decode(item) for c, item in zip(codecs, data, strict=True))

        return _Codec(encode, decode, "tuple[" + ",".join(c.schema for c in codecs) + "]")

    def _dict(self, key_type: object, value_type: object) -> _Codec:
        value_codec = self.codec(value_type)
        enc_value = value_codec.encode
        if key_type is str:
            def encode(value: Any) -> Any:
                if type(value) is not dict:
                    raise CodecError("expected a dict")
                for key in value:
                    if type(key) is not str:
                        raise CodecError("expected str keys")
                return {key: enc_value(item) for key, item in value.items()}

            def decode(data: Any) -> Any:
                if type(data) is not dict:
                    raise CodecError("expected an object")
                dec_value = value_codec.decode
                return {key: dec_value(item) for key, item in data.items()}

            accepted = value_codec.exact_types

            def decode_scalars(data: Any) -> Any:  # dict[str, str], the labels and env of manifests
                if type(data) is not dict or not set(map(type, data.values())) <= accepted:
                    raise CodecError(f"expected an object of {value_codec.schema}")
                return dict(data)

            return _Codec(encode, decode_scalars if accepted else decode, f"dict[str,{value_codec.schema}]")
        key_codec = self.codec(key_type)
        enc_key = key_codec.encode

        def encode_pairs(value: Any) -> Any:
            if type(value) is not dict:
                raise CodecError("expected a dict")
            return [[enc_key(key), enc_value(item)] for key, item in value.items()]

        def decode_pairs(data: Any) -> Any:
            if type(data) is not list:
                raise CodecError("expected a list of pairs")
            result: dict[Any, Any] = {}
            dec_key, dec_value = key_codec.decode, value_codec.decode
            for pair in data:
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("expected a [key, value] pair")
                result[dec_key(pair[0])] = dec_value(pair[1])
            return result

        return _Codec(encode_pairs, decode_pairs, f"dict[{key_codec.schema},{value_codec.schema}]")


def _plain_instance_dict(cls: type) -> bool:
    """Whether an instance is fully described by its fields in ``__dict__``: no slots, no
    ``__post_init__``, no custom ``__new__``."""
    bases = [base for base in cls.__mro__ if base is not object]
    return (not any("__slots__" in vars(base) or "__new__" in vars(base) for base in bases)
            and not hasattr(cls, "__post_init__"))


def _lazy_fields_codec(cls: type, names: tuple[str, ...], codecs: list[_Codec], encode: Encoder) -> _Codec:
    """The codec of ``cls``, whose decoder is written (``_fields_decoder``) when it is first called:
    a cache holds a few of the fact types only. Decoders that hold this codec look its ``decode``
    up when they run, so they call the written one from then on."""
    def decode_first(data: Any) -> Any:
        if codec.decode is decode_first:  # a list's decoder may call this for each of its items
            codec.decode = _fields_decoder(cls, names, codecs)
        return codec.decode(data)

    codec = _Codec(encode, decode_first, f"@{_name(cls)}")
    return codec


def _fields_decoder(cls: type, names: tuple[str, ...], codecs: list[_Codec]) -> Decoder:
    """A decoder written for ``cls``: one function that checks the list's length, checks each scalar
    field inline (most fields are text or numbers), decodes the others with their codecs, and puts
    the fields straight into a new instance's ``__dict__`` - what ``__init__`` does, without a frozen
    class's ``object.__setattr__`` per field (the largest cost of loading a cache).

    The source is built from this module's own text alone: the fields are ``v0``, ``v1``...; their
    names appear only as string literals (``repr``)."""
    count = len(names)
    scope: dict[str, Any] = {"CodecError": CodecError, "new": object.__new__, "cls": cls,
                             "shape": f"{_name(cls)}: expected a list of {count} fields"}
    lines = ["def decode(data):",
             f"    if type(data) is not list or len(data) != {count}:",
             "        raise CodecError(shape)"]
    if count:
        lines.append("    " + "".join(f"v{i}, " for i in range(count)) + "= data")
    for i, (name, codec) in enumerate(zip(names, codecs, strict=True)):
        if codec.exact_types:
            scope[f"t{i}"] = codec.exact_types
            scope[f"m{i}"] = f"{_name(cls)}.{name}: expected {codec.schema}"
            if len(codec.exact_types) == 1:
                scope[f"t{i}"] = next(iter(codec.exact_types))
                lines.append(f"    if type(v{i}) is not t{i}:")
            else:
                lines.append(f"    if type(v{i}) not in t{i}:")
            lines.append(f"        raise CodecError(m{i})")
        else:
            scope[f"c{i}"] = codec
            lines.append(f"    v{i} = c{i}.decode(v{i})")
    fields = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    lines += ["    instance = new(cls)", f"    instance.__dict__.update({{{fields}}})", "    return instance"]
    exec(compile("\n".join(lines), f"<cache decoder of {_name(cls)}>", "exec"), scope)  # our own text: see above
    decoder: Decoder = scope["decode"]
    return decoder


_ANNOTATION_CODE: dict[str, types.CodeType] = {}


def _field_types(cls: type) -> dict[str, Any]:
    """What ``typing.get_type_hints(cls)`` gives, with each annotation's text compiled once for every
    class that writes it: ``str``, ``Location``, ``tuple[str, ...]`` recur across the fact types, and
    compiling each again was most of the time it took to build the codecs. Anything it does not do as
    ``get_type_hints`` does (a quoted name inside a type) is left to ``get_type_hints``."""
    hints: dict[str, Any] = {}
    try:
        for base in reversed(cls.__mro__):
            annotations = inspect.get_annotations(base)
            if not annotations:
                continue
            module_names = getattr(sys.modules.get(base.__module__), "__dict__", {})
            class_names = dict(vars(base))  # looked up after the module's names, as get_type_hints does
            for name, value in annotations.items():
                if isinstance(value, str):
                    code = _ANNOTATION_CODE.get(value)
                    if code is None:
                        code = _ANNOTATION_CODE[value] = compile(value, "<annotation>", "eval")
                    value = eval(code, class_names, module_names)  # the class's own annotation text
                if _quoted_inside(value):
                    return typing.get_type_hints(cls)
                hints[name] = type(None) if value is None else value
    except Exception:
        return typing.get_type_hints(cls)  # raises what it raises
    return hints


def _quoted_inside(tp: object) -> bool:
    """A quoted name in the type (or ``Annotated``, which get_type_hints strips): not for ``_field_types``."""
    if isinstance(tp, str | typing.ForwardRef):
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Literal:
        return False  # its arguments are values: text is a value there
    return origin is typing.Annotated or any(_quoted_inside(arg) for arg in typing.get_args(tp))


def _dataclasses_in(tp: object) -> set[type]:
    """The dataclasses a type annotation names, at any depth (``tuple[Location | None, ...]``)."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return {tp}
    return {held for arg in typing.get_args(tp) for held in _dataclasses_in(arg)}


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _classes_of(member: object) -> list[type]:
    """Runtime classes whose instances encode as this union member."""
    if member is float:
        return [float, int]  # an int is a valid float (PEP 484); int itself, if a member, wins by order
    origin = typing.get_origin(member)
    if origin is typing.Literal:
        return [type(a) for a in typing.get_args(member)]
    if origin is not None:
        return [origin] if isinstance(origin, type) else []
    return [member] if isinstance(member, type) else []


def _scalar(cls: type, also: tuple[type, ...] = ()) -> _Codec:
    return _scalar_of(frozenset((cls, *also)), cls.__name__)


def _scalar_of(accepted: frozenset[type], schema: str, may_be_null: bool = False) -> _Codec:
    """A value stored as itself, whose class must be one of ``accepted`` exactly (bool is not int)."""
    def check(value: Any) -> Any:
        if type(value) not in accepted:
            raise CodecError(f"expected {schema}, got {type(value).__name__}")
        return value

    return _Codec(check, check, schema, may_be_null=may_be_null, exact_types=accepted)


def _encode_bytes(value: Any) -> Any:
    if type(value) is not bytes:
        raise CodecError("expected bytes")
    return value.decode("latin-1")


def _decode_bytes(data: Any) -> Any:
    if type(data) is not str:
        raise CodecError("expected bytes as text")
    try:
        return data.encode("latin-1")
    except UnicodeEncodeError:
        raise CodecError("bytes as text with characters above U+00FF") from None


def _none(value: Any) -> Any:
    if value is not None:
        raise CodecError("expected None")
    return None


_SCALARS: dict[object, _Codec] = {
    str: _scalar(str),
    int: _scalar(int),
    float: _scalar(float, also=(int,)),
    bool: _scalar(bool),
    bytes: _Codec(_encode_bytes, _decode_bytes, "bytes"),
    type(None): _Codec(_none, _none, "None", may_be_null=True),
}


def _enum(cls: type[enum.Enum]) -> _Codec:
    by_value = {member.value: member for member in cls}
    value_types = {type(v) for v in by_value}

    def encode(value: Any) -> Any:
        if type(value) is not cls:
            raise CodecError(f"expected {cls.__name__}")
        return value.value

    def decode(data: Any) -> Any:
        # The type first: True == 1, and a bool must not pass for an int-valued member.
        if type(data) not in value_types or data not in by_value:
            raise CodecError(f"not a {cls.__name__}")
        return by_value[data]

    members = ",".join(f"{m.name}={m.value!r}" for m in cls)
    return _Codec(encode, decode, f"{_name(cls)}{{{members}}}")


def _literal(values: tuple[Any, ...]) -> _Codec:
    allowed = {(type(v), v) for v in values}

    def check(value: Any) -> Any:
        if (type(value), value) not in allowed:
            raise CodecError(f"expected one of {values!r}")
        return value

    return _Codec(check, check, f"Literal{values!r}")


def _sequence(item: _Codec, kind: type[tuple[Any, ...]] | type[list[Any]] | type[set[Any]] | type[frozenset[Any]],
              label: str) -> _Codec:
    enc_item = item.encode

    def encode(value: Any) -> Any:
        if type(value) is not kind:
            raise CodecError(f"expected a {label}")
        return [enc_item(v) for v in value]

    def decode(data: Any) -> Any:
        if type(data) is not list:
            raise CodecError(f"expected a list for a {label}")
        dec_item = item.decode
        try:
            return kind([dec_item(v) for v in data])
        except TypeError as exc:  # an unhashable member of a set
            raise CodecError(str(exc)) from None

    # Faster paths for the common sequences of scalars (a tree's import words are most of its values).
    accepted = item.exact_types

    def decode_scalars(data: Any) -> Any:
        if type(data) is not list or not set(map(type, data)) <= accepted:
            raise CodecError(f"expected a list of {item.schema} for a {label}")
        return kind(data)

    def decode_bytes(data: Any) -> Any:
        if type(data) is not list or not set(map(type, data)) <= _TEXT:
            raise CodecError(f"expected a list of bytes as text for a {label}")
        try:
            return kind(map(_TO_BYTES, data))
        except UnicodeEncodeError:
            raise CodecError("bytes as text with characters above U+00FF") from None

    fast = decode_scalars if accepted else decode_bytes if item.schema == "bytes" else decode
    return _Codec(encode, fast, f"{label}[{item.schema}]")


_TEXT = frozenset({str})
_TO_BYTES = operator.methodcaller("encode", "latin-1")


def _optional(inner: _Codec) -> _Codec:
    enc = inner.encode

    def encode(value: Any) -> Any:
        return None if value is None else enc(value)

    def decode(data: Any) -> Any:
        return None if data is None else inner.decode(data)

    return _Codec(encode, decode, f"{inner.schema}|None", may_be_null=True)


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def _encode_plain(value: Any) -> Any:
    """YAML data kept as written: only what JSON holds exactly (JSON would turn an int key into text)."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return value
    if kind is list or kind is tuple:
        return [_encode_plain(v) for v in value]
    if kind is dict:
        if any(type(k) is not str for k in value):
            raise CodecError("plain data with a non-text key")
        return {k: _encode_plain(v) for k, v in value.items()}
    raise CodecError(f"plain data cannot hold {kind.__name__}")


def _decode_plain(data: Any) -> Any:
    return data  # what json.loads returns is plain data


class Schema:
    """Encoder and decoder of one dataclass type, with a digest of its whole schema (the dataclasses
    it holds, however deep)."""

    def __init__(self, root: type, builder: _Builder) -> None:
        self._codec = codec = builder.codec(root)
        self.encode: Encoder = codec.encode
        closure, todo = {root}, [root]
        while todo:
            for held in builder.mentions[todo.pop()] - closure:
                closure.add(held)
                todo.append(held)
        description = "\n".join(f"{_name(cls)}={builder.dataclass_schemas[cls]}"
                                for cls in sorted(closure, key=_name))
        self.digest = hashlib.blake2b(description.encode(), digest_size=8).hexdigest()

    def decode(self, data: Any) -> Any:
        return self._codec.decode(data)


_schemas: dict[type, Schema] = {}
_builder = _Builder()  # one for every root: the fact types they share are built once


def schema_of(root: type) -> Schema:
    """The (memoised) schema of a dataclass type."""
    found = _schemas.get(root)
    if found is None:
        built = (set(_builder.codecs), set(_builder.dataclass_schemas), set(_builder.mentions))
        try:
            found = _schemas[root] = Schema(root, _builder)
        except BaseException:
            _builder.forget_all_but(*built)  # half-built codecs (a placeholder) would answer the next root
            raise
    return found


def decode_as(root: type[T], data: Any) -> T:
    """``data`` (as json.loads gave it) rebuilt as a ``root``, or CodecError.

    Deeply nested data is refused the same way (RecursionError is not an input error elsewhere)."""
    try:
        value = schema_of(root).decode(data)
    except RecursionError:
        raise CodecError("nested too deeply") from None
    if not isinstance(value, root):
        raise CodecError(f"expected {_name(root)}")
    return value


def encode_as(root: type, value: Any) -> Any:
    try:
        return schema_of(root).encode(value)
    except RecursionError:
        raise CodecError("nested too deeply") from None
