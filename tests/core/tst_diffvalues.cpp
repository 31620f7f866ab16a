// Value comparison on hand-built checkpoints: dtype conversions, strided views, metadata-only diffs that
// never read bytes, and bounds checks.
#include <QTest>

#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "core/analysis/checkpointdiff.h"
#include "core/analysis/valuecompare.h"

using namespace ckpt;

namespace
{

// A checkpoint whose storages live in memory (`owned`), one tensor per storage unless views are added.
struct Builder {
    std::unique_ptr<Checkpoint> c = std::make_unique<Checkpoint>();

    int storage(const std::string& bytes, DType dtype, bool available = true)
    {
        StorageInfo s;
        s.key = std::to_string(c->storages.size());
        s.dtype = dtype;
        s.nbytes = bytes.size();
        s.numel = bytes.size() / dtypeElementSize(dtype);
        s.location = "cpu";
        s.available = available;
        s.owned = std::make_shared<const std::string>(bytes);
        c->storages.push_back(s);
        return static_cast<int>(c->storages.size() - 1);
    }

    int tensor(const std::string& key, int storageIndex, DType dtype, std::vector<int64_t> shape,
               std::vector<int64_t> stride = {}, int64_t offset = 0)
    {
        TensorInfo t;
        t.path = {PathElement::name(key)};
        t.dtype = dtype;
        t.shape = shape;
        if (stride.empty()) {
            stride.assign(shape.size(), 1);
            for (size_t i = shape.size(); i-- > 1;)
                stride[i - 1] = stride[i] * shape[i];
        }
        t.stride = stride;
        t.offset = offset;
        t.storage = storageIndex;
        t.location = "cpu";
        t.nbytes = t.numel() * dtypeElementSize(dtype);
        c->tensors.push_back(t);
        int index = static_cast<int>(c->tensors.size() - 1);
        if (c->weightSets.empty()) c->weightSets.push_back(WeightSet{});
        c->weightSets[0].entries.push_back(WeightEntry{key, index});
        return index;
    }
};

template <class T> std::string bytesOf(const std::vector<T>& values)
{
    return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

uint16_t toHalfBits(float f) // exact for the values used here (representable in fp16)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int exp = static_cast<int>((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = (x >> 13) & 0x3ff;
    if ((x & 0x7fffffff) == 0) return static_cast<uint16_t>(sign);
    return static_cast<uint16_t>(sign | (static_cast<uint32_t>(exp) << 10) | mant);
}

uint16_t toBf16Bits(float f)
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    return static_cast<uint16_t>(x >> 16);
}

} // namespace

class TestDiffValues : public QObject
{
    Q_OBJECT

private slots:
    void conversions()
    {
        uint16_t h = toHalfBits(-2.5f);
        QCOMPARE(elementToDouble(reinterpret_cast<const uint8_t*>(&h), DType::Float16), -2.5);
        uint16_t sub = 0x0001; // smallest fp16 subnormal
        QCOMPARE(elementToDouble(reinterpret_cast<const uint8_t*>(&sub), DType::Float16), std::ldexp(1.0, -24));
        uint16_t inf = 0x7c00;
        QVERIFY(std::isinf(elementToDouble(reinterpret_cast<const uint8_t*>(&inf), DType::Float16)));
        uint16_t b = toBf16Bits(3.140625f);
        QCOMPARE(elementToDouble(reinterpret_cast<const uint8_t*>(&b), DType::BFloat16), 3.140625);
        uint8_t e4m3 = 0x38; // 1.0 in float8_e4m3fn
        QCOMPARE(elementToDouble(&e4m3, DType::Float8_e4m3fn), 1.0);
        uint8_t e4m3nan = 0x7f;
        QVERIFY(std::isnan(elementToDouble(&e4m3nan, DType::Float8_e4m3fn)));
        uint8_t e5m2 = 0x3c; // 1.0 in float8_e5m2
        QCOMPARE(elementToDouble(&e5m2, DType::Float8_e5m2), 1.0);
        int64_t big = -(int64_t(1) << 40);
        QCOMPARE(elementToDouble(reinterpret_cast<const uint8_t*>(&big), DType::Int64), -std::ldexp(1.0, 40));
    }

    void halfPrecisionDifferences()
    {
        Builder a, b;
        std::vector<uint16_t> va = {toHalfBits(1.0f), toHalfBits(2.0f), toHalfBits(-4.0f)};
        std::vector<uint16_t> vb = {toHalfBits(1.0f), toHalfBits(2.5f), toHalfBits(-3.0f)};
        a.tensor("w", a.storage(bytesOf(va), DType::Float16), DType::Float16, {3});
        b.tensor("w", b.storage(bytesOf(vb), DType::Float16), DType::Float16, {3});
        auto r = compareTensorValues(*a.c, 0, *b.c, 0);
        QVERIFY(r.ok());
        QVERIFY(!r.value().bitwiseEqual);
        QCOMPARE(r.value().differing, uint64_t(2));
        QCOMPARE(r.value().maxAbsDiff, 1.0);
        QCOMPARE(r.value().maxRelDiff, 0.25); // |-4 - -3| / 4
    }

    void nonFiniteValues()
    {
        Builder a, b;
        float nan = std::nanf("");
        float inf = INFINITY;
        a.tensor("w", a.storage(bytesOf(std::vector<float>{nan, inf, 1.0f, nan}), DType::Float32), DType::Float32, {4});
        b.tensor("w", b.storage(bytesOf(std::vector<float>{nan, inf, 1.5f, 0.0f}), DType::Float32), DType::Float32,
                 {4});
        auto r = compareTensorValues(*a.c, 0, *b.c, 0);
        QVERIFY(r.ok());
        QCOMPARE(r.value().differing, uint64_t(2));
        QCOMPARE(r.value().nonFiniteMismatches, uint64_t(1));
        QCOMPARE(r.value().maxAbsDiff, 0.5);
    }

    void stridedViewReadsLogicalOrder()
    {
        // Left: a contiguous 2x3; right: the same logical values as a transposed view of a 3x2 storage,
        // starting at an offset.
        Builder a, b;
        a.tensor("w", a.storage(bytesOf(std::vector<float>{1, 2, 3, 4, 5, 6}), DType::Float32), DType::Float32, {2, 3});
        b.tensor("w", b.storage(bytesOf(std::vector<float>{99, 1, 4, 2, 5, 3, 6}), DType::Float32), DType::Float32,
                 {2, 3}, {1, 2}, 1);
        auto r = compareTensorValues(*a.c, 0, *b.c, 0);
        QVERIFY2(r.ok(), r.ok() ? "" : r.error().detail.c_str());
        QVERIFY(r.value().bitwiseEqual);
        QCOMPARE(r.value().leftHash[0], r.value().rightHash[0]);
        QCOMPARE(r.value().leftHash[1], r.value().rightHash[1]);
        auto reader = TensorReader::open(*b.c, 0);
        QVERIFY(reader.ok());
        std::vector<float> seen;
        const uint8_t* data = nullptr;
        while (size_t n = reader.value().next(4, data))
            for (size_t i = 0; i < n; ++i) {
                float f;
                std::memcpy(&f, data + i * 4, 4);
                seen.push_back(f);
            }
        QCOMPARE(seen, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    }

    void viewOutsideStorageIsRefused()
    {
        Builder a;
        a.tensor("w", a.storage(bytesOf(std::vector<float>{1, 2, 3}), DType::Float32), DType::Float32, {2, 2});
        auto reader = TensorReader::open(*a.c, 0);
        QVERIFY(!reader.ok());
        QCOMPARE(reader.error().status, Status::Corrupt);
    }

    void metadataDiffNeverReadsBytes()
    {
        // Storages marked unavailable: a metadata diff still works, a value diff says why it could not read.
        Builder a, b;
        std::string bytes = bytesOf(std::vector<float>{1, 2, 3, 4});
        a.tensor("module.fc.weight", a.storage(bytes, DType::Float32, false), DType::Float32, {2, 2});
        b.tensor("fc.weight", b.storage(bytes, DType::Float32, false), DType::Float32, {2, 2});
        b.c->tensors[0].location = "cuda:1";
        auto meta = diffCheckpoints(*a.c, *b.c);
        QVERIFY(meta.ok());
        QCOMPARE(meta.value().rule.stripPrefixes, std::vector<std::string>{"module."});
        QCOMPARE(meta.value().entries.size(), size_t(1));
        QCOMPARE(meta.value().entries[0].status, DiffStatus::LocationDiffers);
        QVERIFY(!meta.value().entries[0].valuesCompared);
        DiffOptions withValues;
        withValues.values = true;
        auto values = diffCheckpoints(*a.c, *b.c, withValues);
        QVERIFY(values.ok());
        QVERIFY(!values.value().entries[0].valuesCompared);
        QVERIFY(!values.value().entries[0].note.empty());
    }

    void valuesDifferOutranksLocation()
    {
        Builder a, b;
        a.tensor("w", a.storage(bytesOf(std::vector<double>{1, 2}), DType::Float64), DType::Float64, {2});
        b.tensor("w", b.storage(bytesOf(std::vector<double>{1, 2.25}), DType::Float64), DType::Float64, {2});
        b.c->tensors[0].location = "cuda:0";
        DiffOptions options;
        options.values = true;
        auto d = diffCheckpoints(*a.c, *b.c, options);
        QVERIFY(d.ok());
        QCOMPARE(d.value().entries[0].status, DiffStatus::ValuesDiffer);
        QVERIFY(d.value().entries[0].locationDiffers);
        QCOMPARE(d.value().entries[0].values.maxAbsDiff, 0.25);
        nlohmann::json j = d.value().toJson();
        QCOMPARE(j["entries"][0]["max_abs_diff"].get<double>(), 0.25);
        QCOMPARE(j["entries"][0]["location_differs"].get<bool>(), true);
        QCOMPARE(j["summary"]["counts"]["values_differ"].get<int>(), 1);
        QCOMPARE(j["summary"]["nontensor_values_differ"].get<int>(), 0);
        QCOMPARE(j["summary"]["equal"].get<bool>(), false);
    }

    void cancelStopsTheComparison()
    {
        Builder a, b;
        std::vector<float> big(1 << 20, 1.0f);
        a.tensor("w", a.storage(bytesOf(big), DType::Float32), DType::Float32, {1 << 20});
        b.tensor("w", b.storage(bytesOf(big), DType::Float32), DType::Float32, {1 << 20});
        std::atomic<bool> cancel{true};
        DiffOptions options;
        options.values = true;
        options.progress.cancel = &cancel;
        auto d = diffCheckpoints(*a.c, *b.c, options);
        QVERIFY(!d.ok());
        QCOMPARE(d.error().status, Status::Cancelled);
    }
};

QTEST_APPLESS_MAIN(TestDiffValues)
#include "tst_diffvalues.moc"
