#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ckpt
{

// Every dtype a checkpoint can carry: the 17 legacy storage types and the 2.x "new" dtypes.
enum class DType {
    Float64,
    Float32,
    Float16,
    BFloat16,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
    Complex128,
    Complex64,
    Complex32,
    QInt8,
    QUInt8,
    QInt32,
    QUInt4x2,
    QUInt2x4,
    Float8_e5m2,
    Float8_e4m3fn,
    Float8_e5m2fnuz,
    Float8_e4m3fnuz,
    Float8_e8m0fnu,
    Float4_e2m1fn_x2,
    UInt16,
    UInt32,
    UInt64,
    Bits8,
    Bits16,
    Bits1x8,
    Bits2x4,
    Bits4x2,
    Unknown,
};

// Torch name without "torch." ("float32", "bfloat16", "qint8").
std::string_view dtypeName(DType dtype);
// Bytes per element (1 for packed sub-byte types, which torch counts per byte).
size_t dtypeElementSize(DType dtype);
bool dtypeIsFloating(DType dtype);
bool dtypeIsComplex(DType dtype);
bool dtypeIsQuantized(DType dtype);
// From a torch dtype name as pickled ("float32", also "float", "half", "long" aliases).
std::optional<DType> dtypeFromTorchName(std::string_view name);
// From a legacy storage class name ("FloatStorage" -> Float32).
std::optional<DType> dtypeFromStorageClass(std::string_view className);
// The legacy storage class name for a dtype, if it has one ("FloatStorage").
std::optional<std::string_view> storageClassForDType(DType dtype);
// safetensors dtype strings ("F32", "BF16", "F8_E4M3").
std::optional<DType> dtypeFromSafetensors(std::string_view name);
std::optional<std::string_view> safetensorsName(DType dtype);

} // namespace ckpt
