// Checkpoint diff over fixtures saved by real PyTorch; Python computes the expected differences.
#include <QTest>

#include <cmath>

#include "core/analysis/checkpointdiff.h"
#include "core/format/loader.h"
#include "support/matchdiffsupport.h"

using namespace ckpt;
using Strings = std::vector<std::string>;

namespace
{

CheckpointPtr load(const QString& name)
{
    QString path = matchdiff::fixture(name);
    if (path.isEmpty()) return nullptr;
    auto loaded = loadCheckpoint(path.toStdString());
    return loaded ? loaded.value() : nullptr;
}

CheckpointDiff diffOf(const QString& a, const QString& b, bool values)
{
    CheckpointPtr left = load(a), right = load(b);
    if (!left || !right) return {};
    DiffOptions options;
    options.values = values;
    auto diff = diffCheckpoints(*left, *right, options);
    return diff ? diff.value() : CheckpointDiff{};
}

// Per key of the left file: [torch.equal, max |a-b| in float64] computed by PyTorch.
nlohmann::json pythonDifferences(const QString& a, const QString& b)
{
    QString code = "import torch, json\n"
                   "a = torch.load('" +
                   matchdiff::fixture(a) +
                   "')\n"
                   "b = torch.load('" +
                   matchdiff::fixture(b) +
                   "')\n"
                   "out = {}\n"
                   "for k in a:\n"
                   "    x, y = a[k].double(), b[k].double()\n"
                   "    out[k] = [bool(torch.equal(a[k], b[k])), float((x - y).abs().max()) if x.numel() else 0.0]\n"
                   "print(json.dumps(out))\n";
    auto py = matchdiff::runPython(code);
    if (py.exitCode != 0) return nullptr;
    return nlohmann::json::parse(py.out.toStdString(), nullptr, false);
}

bool close(double a, double b)
{
    return std::fabs(a - b) <= 1e-6 * std::max(std::fabs(a), std::fabs(b)) + 1e-300;
}

} // namespace

class TestDiffFixtures : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!matchdiff::fixture("resnet18_dp").isEmpty(), "fixtures missing: run ctest -R generate_fixtures");
    }

    void dataParallelEqualsPlain()
    {
        for (bool values : {false, true}) {
            CheckpointDiff d = diffOf("resnet18_dp", "resnet18_sd", values);
            QCOMPARE(d.rule.stripPrefixes, Strings{"module."});
            QCOMPARE(d.aligned, size_t(122));
            QCOMPARE(d.entries.size(), size_t(122));
            QCOMPARE(d.valuesCompared, values);
            for (const DiffEntry& e : d.entries) {
                QCOMPARE(e.status, DiffStatus::Equal);
                QCOMPARE(e.left, "module." + e.right);
                QCOMPARE(e.valuesCompared, values);
                if (values) {
                    QVERIFY(e.values.bitwiseEqual);
                    QCOMPARE(e.values.maxAbsDiff, 0.0);
                    QCOMPARE(e.values.leftHash[0], e.values.rightHash[0]);
                    QCOMPARE(e.values.leftHash[1], e.values.rightHash[1]);
                }
            }
            QVERIFY(d.equal());
            nlohmann::json j = d.toJson();
            QCOMPARE(j["summary"]["equal"].get<bool>(), true);
            QCOMPARE(j["entries"][0]["left"].get<std::string>(), std::string("module.conv1.weight"));
            QCOMPARE(j["entries"][0]["right"].get<std::string>(), std::string("conv1.weight"));
            QCOMPARE(j["entries"][0]["status"].get<std::string>(), std::string("equal"));
            QVERIFY(j["entries"][0].contains("max_abs_diff"));
        }
    }

    void otherLayoutsOfTheSameModelAreEqual_data()
    {
        QTest::addColumn<QString>("left");
        QTest::addColumn<QString>("right");
        QTest::newRow("whole model") << "resnet18_whole"
                                     << "resnet18_sd";
        QTest::newRow("whole DataParallel model") << "resnet18_dp_whole"
                                                  << "resnet18_sd";
        QTest::newRow("legacy stream") << "resnet18_legacy_sd"
                                       << "resnet18_dp";
        QTest::newRow("stacked prefixes") << "resnet18_orig_mod_module"
                                          << "resnet18_dp";
        QTest::newRow("training checkpoint with itself") << "train_adam"
                                                         << "train_adam";
    }

    void otherLayoutsOfTheSameModelAreEqual()
    {
        QFETCH(QString, left);
        QFETCH(QString, right);
        CheckpointDiff d = diffOf(left, right, true);
        QVERIFY(!d.entries.empty());
        for (const DiffEntry& e : d.entries)
            QVERIFY2(e.status == DiffStatus::Equal && e.values.bitwiseEqual, (e.left + " / " + e.right).c_str());
        QVERIFY2(d.equal(), d.summaryText().c_str());
    }

    void oneAdamStepChangesValues()
    {
        nlohmann::json expected = pythonDifferences("small_before", "small_after_adam");
        QVERIFY(expected.is_object() && !expected.empty());
        CheckpointDiff d = diffOf("small_before", "small_after_adam", true);
        QVERIFY(d.rule.empty());
        QCOMPARE(d.entries.size(), expected.size());
        size_t differing = 0;
        for (const DiffEntry& e : d.entries) {
            QVERIFY(expected.contains(e.left));
            bool equal = expected[e.left][0].get<bool>();
            double maxAbs = expected[e.left][1].get<double>();
            QVERIFY(e.valuesCompared);
            QCOMPARE(e.status, equal ? DiffStatus::Equal : DiffStatus::ValuesDiffer);
            QVERIFY2(close(e.values.maxAbsDiff, maxAbs),
                     (e.left + ": " + std::to_string(e.values.maxAbsDiff) + " vs " + std::to_string(maxAbs)).c_str());
            differing += !equal;
        }
        QVERIFY(differing > 0);
        QVERIFY(!d.equal());
        QCOMPARE(d.count(DiffStatus::ValuesDiffer), differing);
    }

    void bfloat16CopyDiffersInDtype()
    {
        nlohmann::json expected = pythonDifferences("small_bf16", "small_before");
        QVERIFY(expected.is_object());
        nlohmann::json truth = matchdiff::truth("small_before");
        std::map<std::string, std::string> dtypes;
        for (const auto& t : truth["tensors"])
            dtypes[t["path"][0].get<std::string>()] = t["dtype"].get<std::string>();
        CheckpointDiff d = diffOf("small_bf16", "small_before", true);
        size_t floating = 0;
        for (const DiffEntry& e : d.entries) {
            bool isFloat = dtypes[e.right] == "float32";
            floating += isFloat;
            QCOMPARE(e.status, isFloat ? DiffStatus::DTypeDiffers : DiffStatus::Equal);
            if (isFloat) {
                QCOMPARE(e.leftDtype, DType::BFloat16);
                QCOMPARE(e.rightDtype, DType::Float32);
                // Values still compared across dtypes, in double, as Python's .double() does.
                QVERIFY(e.valuesCompared);
                QVERIFY(close(e.values.maxAbsDiff, expected[e.left][1].get<double>()));
            }
        }
        QVERIFY(floating > 0);
        QVERIFY(!d.equal());
    }

    void trainingCheckpointsCompareValuesAndOptimizer()
    {
        CheckpointDiff d = diffOf("train_sgd", "train_adam", false);
        QVERIFY(!d.equal());
        bool sawEpoch = false;
        for (const ValueDiffEntry& v : d.plainValues)
            if (v.path == "epoch") {
                sawEpoch = true;
                QCOMPARE(v.status, DiffStatus::ValuesDiffer);
                QCOMPARE(v.left, std::string("5"));
                QCOMPARE(v.right, std::string("2"));
            }
        QVERIFY(sawEpoch);
        // Optimizer state tensors are paired by path outside the weight set.
        bool sawOptimizer = false;
        for (const DiffEntry& e : d.entries)
            if (!e.inWeightSet && e.left.rfind("optimizer/", 0) == 0) sawOptimizer = true;
        QVERIFY(sawOptimizer);
    }

    void locationsAndMissingKeys()
    {
        CheckpointDiff d = diffOf("resnet18_sd", "resnet34_sd", false);
        QVERIFY(d.count(DiffStatus::OnlyRight) > 0);
        QCOMPARE(d.count(DiffStatus::OnlyLeft), size_t(0));
        nlohmann::json j = d.toJson();
        bool sawNullLeft = false;
        for (const auto& e : j["entries"])
            if (e["status"] == "only_right") sawNullLeft = e["left"].is_null();
        QVERIFY(sawNullLeft);
    }
};

QTEST_GUILESS_MAIN(TestDiffFixtures)
#include "tst_difffixtures.moc"
