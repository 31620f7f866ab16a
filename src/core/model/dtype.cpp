#include "core/model/dtype.h"

#include <array>

namespace ckpt
{

namespace
{

struct DTypeRow {
    DType dtype;
    const char* torchName;
    size_t elementSize;
    const char* storageClass; // nullptr for 2.x-only dtypes (UntypedStorage + _rebuild_tensor_v3)
    const char* safetensors;  // nullptr when safetensors has no such dtype
};

// One table drives every lookup, so a dtype is added in one place.
constexpr std::array<DTypeRow, 32> kRows = {{
    {DType::Float64, "float64", 8, "DoubleStorage", "F64"},
    {DType::Float32, "float32", 4, "FloatStorage", "F32"},
    {DType::Float16, "float16", 2, "HalfStorage", "F16"},
    {DType::BFloat16, "bfloat16", 2, "BFloat16Storage", "BF16"},
    {DType::Int64, "int64", 8, "LongStorage", "I64"},
    {DType::Int32, "int32", 4, "IntStorage", "I32"},
    {DType::Int16, "int16", 2, "ShortStorage", "I16"},
    {DType::Int8, "int8", 1, "CharStorage", "I8"},
    {DType::UInt8, "uint8", 1, "ByteStorage", "U8"},
    {DType::Bool, "bool", 1, "BoolStorage", "BOOL"},
    {DType::Complex128, "complex128", 16, "ComplexDoubleStorage", nullptr},
    {DType::Complex64, "complex64", 8, "ComplexFloatStorage", "C64"},
    {DType::Complex32, "complex32", 4, nullptr, nullptr},
    {DType::QInt8, "qint8", 1, "QInt8Storage", nullptr},
    {DType::QUInt8, "quint8", 1, "QUInt8Storage", nullptr},
    {DType::QInt32, "qint32", 4, "QInt32Storage", nullptr},
    {DType::QUInt4x2, "quint4x2", 1, "QUInt4x2Storage", nullptr},
    {DType::QUInt2x4, "quint2x4", 1, "QUInt2x4Storage", nullptr},
    {DType::Float8_e5m2, "float8_e5m2", 1, nullptr, "F8_E5M2"},
    {DType::Float8_e4m3fn, "float8_e4m3fn", 1, nullptr, "F8_E4M3"},
    {DType::Float8_e5m2fnuz, "float8_e5m2fnuz", 1, nullptr, "F8_E5M2FNUZ"},
    {DType::Float8_e4m3fnuz, "float8_e4m3fnuz", 1, nullptr, "F8_E4M3FNUZ"},
    {DType::Float8_e8m0fnu, "float8_e8m0fnu", 1, nullptr, "F8_E8M0"},
    {DType::Float4_e2m1fn_x2, "float4_e2m1fn_x2", 1, nullptr, "F4"},
    {DType::UInt16, "uint16", 2, nullptr, "U16"},
    {DType::UInt32, "uint32", 4, nullptr, "U32"},
    {DType::UInt64, "uint64", 8, nullptr, "U64"},
    {DType::Bits8, "bits8", 1, nullptr, nullptr},
    {DType::Bits16, "bits16", 2, nullptr, nullptr},
    {DType::Bits1x8, "bits1x8", 1, nullptr, nullptr},
    {DType::Bits2x4, "bits2x4", 1, nullptr, nullptr},
    {DType::Bits4x2, "bits4x2", 1, nullptr, nullptr},
}};

const DTypeRow* row(DType dtype)
{
    for (const DTypeRow& r : kRows)
        if (r.dtype == dtype) return &r;
    return nullptr;
}

} // namespace

std::string_view dtypeName(DType dtype)
{
    const DTypeRow* r = row(dtype);
    return r ? r->torchName : "unknown";
}

size_t dtypeElementSize(DType dtype)
{
    const DTypeRow* r = row(dtype);
    return r ? r->elementSize : 0;
}

bool dtypeIsFloating(DType dtype)
{
    switch (dtype) {
    case DType::Float64:
    case DType::Float32:
    case DType::Float16:
    case DType::BFloat16:
    case DType::Float8_e5m2:
    case DType::Float8_e4m3fn:
    case DType::Float8_e5m2fnuz:
    case DType::Float8_e4m3fnuz:
    case DType::Float8_e8m0fnu:
    case DType::Float4_e2m1fn_x2:
        return true;
    default:
        return false;
    }
}

bool dtypeIsComplex(DType dtype)
{
    return dtype == DType::Complex128 || dtype == DType::Complex64 || dtype == DType::Complex32;
}

bool dtypeIsQuantized(DType dtype)
{
    return dtype == DType::QInt8 || dtype == DType::QUInt8 || dtype == DType::QInt32 || dtype == DType::QUInt4x2 ||
           dtype == DType::QUInt2x4;
}

std::optional<DType> dtypeFromTorchName(std::string_view name)
{
    for (const DTypeRow& r : kRows)
        if (name == r.torchName) return r.dtype;
    // Aliases torch also pickles under.
    if (name == "float") return DType::Float32;
    if (name == "double") return DType::Float64;
    if (name == "half") return DType::Float16;
    if (name == "long") return DType::Int64;
    if (name == "int") return DType::Int32;
    if (name == "short") return DType::Int16;
    if (name == "cfloat") return DType::Complex64;
    if (name == "cdouble") return DType::Complex128;
    if (name == "chalf") return DType::Complex32;
    return std::nullopt;
}

std::optional<DType> dtypeFromStorageClass(std::string_view className)
{
    for (const DTypeRow& r : kRows)
        if (r.storageClass && className == r.storageClass) return r.dtype;
    return std::nullopt;
}

std::optional<std::string_view> storageClassForDType(DType dtype)
{
    const DTypeRow* r = row(dtype);
    if (!r || !r->storageClass) return std::nullopt;
    return std::string_view(r->storageClass);
}

std::optional<DType> dtypeFromSafetensors(std::string_view name)
{
    for (const DTypeRow& r : kRows)
        if (r.safetensors && name == r.safetensors) return r.dtype;
    return std::nullopt;
}

std::optional<std::string_view> safetensorsName(DType dtype)
{
    const DTypeRow* r = row(dtype);
    if (!r || !r->safetensors) return std::nullopt;
    return std::string_view(r->safetensors);
}

} // namespace ckpt
