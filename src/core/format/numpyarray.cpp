#include "core/format/numpyarray.h"

#include <string_view>

#include "core/format/tensorrebuild.h"

namespace ckpt
{

namespace
{

bool isMultiarray(const Value* g, const char* name)
{
    return g && g->kind == ValueKind::Global && g->text2 == name &&
           (g->text == "numpy.core.multiarray" || g->text == "numpy._core.multiarray");
}

// numpy's type string ('f8', 'i4', 'b1', 'c16') as a torch dtype; nullopt for object/str/void/datetime.
std::optional<DType> dtypeFromTypeString(std::string_view s)
{
    if (s.size() < 2) return std::nullopt;
    std::string_view size = s.substr(1);
    switch (s[0]) {
    case 'f':
        if (size == "8") return DType::Float64;
        if (size == "4") return DType::Float32;
        if (size == "2") return DType::Float16;
        return std::nullopt;
    case 'i':
        if (size == "8") return DType::Int64;
        if (size == "4") return DType::Int32;
        if (size == "2") return DType::Int16;
        if (size == "1") return DType::Int8;
        return std::nullopt;
    case 'u':
        if (size == "8") return DType::UInt64;
        if (size == "4") return DType::UInt32;
        if (size == "2") return DType::UInt16;
        if (size == "1") return DType::UInt8;
        return std::nullopt;
    case 'b':
        return size == "1" ? std::optional<DType>(DType::Bool) : std::nullopt;
    case 'c':
        if (size == "16") return DType::Complex128;
        if (size == "8") return DType::Complex64;
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

// The dtype object: REDUCE(numpy.dtype, (typestr, align, copy)) with BUILD state (version, byteorder, ...).
struct NumpyDType {
    std::optional<DType> dtype;
    char byteOrder = '=';
    bool structured = false;
};

NumpyDType readDType(const Value* v)
{
    NumpyDType out;
    if (!v || v->kind != ValueKind::Object) return out;
    const Value* cls = v->callableGlobal();
    if (!cls || cls->text != "numpy" || cls->text2 != "dtype") return out;
    const ValueList<const Value*>& args = sequenceItems(v->args);
    if (args.empty() || !args[0]->isString()) return out;
    out.dtype = dtypeFromTypeString(args[0]->text);
    const ValueList<const Value*>& state = sequenceItems(v->state);
    if (state.size() >= 2 && state[1]->isString() && state[1]->text.size() == 1) out.byteOrder = state[1]->text[0];
    // names/fields (state[3], state[4]) set: a structured record type, not a plain number.
    if (state.size() >= 5 && (state[3]->kind != ValueKind::None || state[4]->kind != ValueKind::None))
        out.structured = true;
    return out;
}

const std::string* rawBytes(const Value* v)
{
    return v && (v->kind == ValueKind::Bytes || v->kind == ValueKind::String) ? &v->text : nullptr;
}

} // namespace

bool isNumpyArrayNode(const Value* v)
{
    if (!v || v->kind != ValueKind::Object || v->how != ObjectHow::Reduce) return false;
    const Value* fn = v->callableGlobal();
    const ValueList<const Value*>& args = sequenceItems(v->args);
    if (isMultiarray(fn, "scalar")) {
        NumpyDType d = args.size() == 2 ? readDType(args[0]) : NumpyDType{};
        return d.dtype && !d.structured && rawBytes(args[1]);
    }
    if (!isMultiarray(fn, "_reconstruct")) return false;
    if (args.empty() || !args[0] || !args[0]->isGlobal("numpy", "ndarray")) return false;
    const ValueList<const Value*>& state = sequenceItems(v->state);
    if (state.size() != 5) return false;
    NumpyDType d = readDType(state[2]);
    return d.dtype && !d.structured && rawBytes(state[4]);
}

NumpyArray readNumpyArray(const Value* v)
{
    NumpyArray out;
    const ValueList<const Value*>& args = sequenceItems(v->args);
    const Value* dtypeNode = nullptr;
    const std::string* raw = nullptr;
    bool fortran = false;
    if (isMultiarray(v->callableGlobal(), "scalar")) {
        dtypeNode = args[0];
        raw = rawBytes(args[1]);
    } else {
        const ValueList<const Value*>& state = sequenceItems(v->state);
        dtypeNode = state[2];
        raw = rawBytes(state[4]);
        fortran = state[3]->kind == ValueKind::Bool && state[3]->boolean;
        if (!readIntTuple(state[1], out.shape)) {
            out.problem = "numpy array shape is not a tuple of integers";
            return out;
        }
    }
    NumpyDType d = readDType(dtypeNode);
    out.dtype = *d.dtype;
    uint64_t numel = 1;
    for (int64_t dim : out.shape)
        if (dim < 0 || __builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel)) {
            out.problem = "numpy array shape is negative or overflows";
            return out;
        }
    out.stride.assign(out.shape.size(), 1);
    int64_t step = 1;
    for (size_t i = 0; i < out.shape.size(); ++i) {
        size_t d_ = fortran ? i : out.shape.size() - 1 - i;
        out.stride[d_] = step;
        step *= out.shape[d_] > 0 ? out.shape[d_] : 1;
    }
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, dtypeElementSize(out.dtype), &nbytes) || raw->size() != nbytes) {
        out.problem = "numpy array holds " + std::to_string(raw->size()) + " bytes but its shape and dtype need " +
                      std::to_string(nbytes);
        return out;
    }
    if (d.byteOrder == '>') {
        out.problem = "numpy array is big-endian; its bytes are not shown as numbers";
        return out;
    }
    out.bytes = std::make_shared<const std::string>(*raw);
    return out;
}

} // namespace ckpt
