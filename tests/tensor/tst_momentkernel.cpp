// The fused CPU reductions on raw buffers, against values computed here in long double (no LibTorch, no
// fixtures): counts of special values, moments, Chan merging, histogram binning and its range convention.
#include <QTest>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tensor/momentkernel.h"

using namespace ckpt::tensor;

namespace
{

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Reference {
    long double mean = 0, std = 0;
    double min = kInf, max = -kInf;
    uint64_t finite = 0;
};

template <class T> Reference reference(const std::vector<T>& v)
{
    Reference r;
    long double sum = 0;
    for (T x : v)
        if (std::isfinite(x)) {
            ++r.finite;
            sum += x;
            r.min = std::min<double>(r.min, x);
            r.max = std::max<double>(r.max, x);
        }
    r.mean = sum / r.finite;
    long double m2 = 0;
    for (T x : v)
        if (std::isfinite(x)) m2 += (x - r.mean) * (x - r.mean);
    r.std = std::sqrt(m2 / r.finite);
    return r;
}

} // namespace

class TestMomentKernel : public QObject
{
    Q_OBJECT

private slots:
    void specialValuesAreCountedNotAveraged()
    {
        // Not a multiple of the 8 lanes, so the tail loop counts too.
        std::vector<float> v = {1.f, 0.f, -0.f, float(kNaN), float(kInf), -float(kInf),
                                3.f, 0.f, 5.f,  float(kNaN), -2.f};
        TensorStats s;
        applyMoments(momentsOf(v.data(), v.size()), &s);
        QCOMPARE(s.count, uint64_t(11));
        QCOMPARE(s.finite, uint64_t(7));
        QCOMPARE(s.nan, uint64_t(2));
        QCOMPARE(s.posinf, uint64_t(1));
        QCOMPARE(s.neginf, uint64_t(1));
        QCOMPARE(s.zeros, uint64_t(3)); // -0.0 is a zero
        QCOMPARE(s.min, -2.0);
        QCOMPARE(s.max, 5.0);
        const double mean = 7.0 / 7.0;
        QCOMPARE(s.mean, mean);
        double m2 = 0;
        for (double x : {1.0, 0.0, 0.0, 3.0, 0.0, 5.0, -2.0})
            m2 += (x - mean) * (x - mean);
        QVERIFY(std::fabs(s.std - std::sqrt(m2 / 7)) < 1e-15);
    }

    void noFiniteValuesLeaveMomentsNaN()
    {
        std::vector<double> v = {kNaN, kInf};
        TensorStats s;
        applyMoments(momentsOf(v.data(), v.size()), &s);
        QCOMPARE(s.count, uint64_t(2));
        QVERIFY(std::isnan(s.min) && std::isnan(s.max) && std::isnan(s.mean) && std::isnan(s.std));
        TensorStats empty;
        applyMoments(momentsOf(static_cast<const double*>(nullptr), 0), &empty);
        QCOMPARE(empty.count, uint64_t(0));
        QVERIFY(std::isnan(empty.mean));
    }

    void largeMeanSmallSpreadKeepsPrecision()
    {
        // Sum-of-squares would lose every digit here; block deviations plus Chan merging keep them.
        std::mt19937 gen(1);
        std::normal_distribution<double> dist(0.0, 1e-3);
        std::vector<double> v(100003);
        for (double& x : v)
            x = 1e7 + dist(gen);
        const Reference r = reference(v);
        TensorStats s;
        applyMoments(momentsOf(v.data(), v.size()), &s);
        QVERIFY2(std::fabs(s.mean - double(r.mean)) <= 1e-12 * 1e7,
                 qPrintable(QString::number(s.mean - double(r.mean))));
        QVERIFY2(std::fabs(s.std - double(r.std)) <= 1e-6 * double(r.std),
                 qPrintable(QString::number(s.std / double(r.std) - 1)));
    }

    void mergingChunksEqualsOnePass()
    {
        std::mt19937 gen(2);
        std::normal_distribution<float> dist(3.f, 2.f);
        std::vector<float> v(50000);
        for (float& x : v)
            x = dist(gen);
        Moments whole = momentsOf(v.data(), v.size());
        Moments parts;
        for (size_t at = 0; at < v.size(); at += 777)
            parts.merge(momentsOf(v.data() + at, std::min<size_t>(777, v.size() - at)));
        QCOMPARE(parts.finite, whole.finite);
        QCOMPARE(parts.min, whole.min);
        QCOMPARE(parts.max, whole.max);
        QVERIFY(std::fabs(parts.mean - whole.mean) < 1e-12);
        QVERIFY(std::fabs(parts.m2 / whole.m2 - 1) < 1e-12);
        const Reference r = reference(v);
        QVERIFY(std::fabs(whole.mean - double(r.mean)) < 1e-12);
    }

    void histogramBinsAndEdges()
    {
        // 0..9 over [0, 9] with 3 bins: [0,3) [3,6) [6,9]; the maximum lands in the last bin.
        std::vector<double> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, kNaN, kInf};
        std::vector<uint64_t> counts(3, 0);
        histogramOf(v.data(), v.size(), 0.0, 9.0, 3, counts.data());
        QCOMPARE(counts, (std::vector<uint64_t>{3, 3, 4}));
        std::vector<float> f = {-1.f, 1.f, 0.5f};
        std::vector<uint64_t> two(2, 0);
        histogramOf(f.data(), f.size(), -1.0, 1.0, 2, two.data());
        QCOMPARE(two, (std::vector<uint64_t>{1, 2}));
    }

    void histogramRangeWidensASingleValue()
    {
        double lo = 0, hi = 0;
        histogramRange(2.5, 2.5, &lo, &hi);
        QCOMPARE(lo, 1.5);
        QCOMPARE(hi, 3.5);
        histogramRange(-1, 4, &lo, &hi);
        QCOMPARE(lo, -1.0);
        QCOMPARE(hi, 4.0);
    }
};

QTEST_APPLESS_MAIN(TestMomentKernel)
#include "tst_momentkernel.moc"
