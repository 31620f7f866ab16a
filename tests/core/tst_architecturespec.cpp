#include <QTest>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/analysis/architecturespec.h"
#include "support/runprocess.h"

using namespace ckpt;

// architectureFromJson: the user's "dump any model with one line of Python" format.
class TestArchitectureSpec : public QObject
{
    Q_OBJECT

private slots:
    void keepsTheTextsKeyOrder();
    void keepsTheOrderOfManyKeys();
    void repeatedKeysKeepTheirFirstPlace();
    void acceptsBothValueForms();
    void acceptsPythonDtypeSpelling();
    void scalarAndEmpty();
    void rejects_data();
    void rejects();
    void manyObjectEntriesEqualPython();
};

void TestArchitectureSpec::keepsTheTextsKeyOrder()
{
    // Deliberately not alphabetical: a sorted map would reorder these.
    const std::string text = R"({"keys": {"z.weight": [3], "fc.bias": [10], "a.weight": [10, 3], "m.1.x": [1]}})";
    Result<ArchitectureSpec> spec = architectureFromJson(text, "mine.json");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    QCOMPARE(spec.value().name, std::string("mine.json"));
    QCOMPARE(spec.value().source, std::string("json"));
    std::vector<std::string> keys;
    for (const ArchEntry& e : spec.value().entries)
        keys.push_back(e.key);
    QCOMPARE(keys, (std::vector<std::string>{"z.weight", "fc.bias", "a.weight", "m.1.x"}));
    QCOMPARE(spec.value().entries[2].shape, (std::vector<int64_t>{10, 3}));
}

void TestArchitectureSpec::keepsTheOrderOfManyKeys()
{
    // Large enough that the order cannot come from a small-object special case; descending, so a sorted
    // container would give the reverse.
    std::string text = R"({"keys": {)";
    std::vector<std::string> expected;
    for (int i = 20000; i > 0; --i) {
        expected.push_back("block." + std::to_string(i) + ".weight");
        text += (i == 20000 ? "\"" : ", \"") + expected.back() + "\": [" + std::to_string(i) + "]";
    }
    text += "}}";
    Result<ArchitectureSpec> spec = architectureFromJson(text, "many.json");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    std::vector<std::string> keys;
    for (const ArchEntry& e : spec.value().entries)
        keys.push_back(e.key);
    QVERIFY(keys == expected);
    QCOMPARE(spec.value().entries.back().shape, (std::vector<int64_t>{1}));
}

void TestArchitectureSpec::repeatedKeysKeepTheirFirstPlace()
{
    // As an order-keeping JSON object reads a repeated member: first place, last value. A nested "keys" is not
    // the architecture, and a repeated top-level "keys" replaces the earlier one.
    const std::string text = R"({"keys": {"b": [1], "a": [2], "b": [3]}, "other": {"keys": {"z": [9]}}})";
    Result<ArchitectureSpec> spec = architectureFromJson(text, "x");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    QCOMPARE(spec.value().entries.size(), size_t(2));
    QCOMPARE(spec.value().entries[0].key, std::string("b"));
    QCOMPARE(spec.value().entries[0].shape, (std::vector<int64_t>{3}));
    QCOMPARE(spec.value().entries[1].key, std::string("a"));

    Result<ArchitectureSpec> twice = architectureFromJson(R"({"keys": {"a": [1]}, "keys": {"y": [2], "x": [3]}})", "x");
    QVERIFY2(twice.ok(), twice.ok() ? "" : twice.error().detail.c_str());
    QCOMPARE(twice.value().entries.size(), size_t(2));
    QCOMPARE(twice.value().entries[0].key, std::string("y"));
    QCOMPARE(twice.value().entries[1].key, std::string("x"));
}

void TestArchitectureSpec::acceptsBothValueForms()
{
    const std::string text = R"({"keys": {
        "conv1.weight": [64, 3, 7, 7],
        "bn1.num_batches_tracked": {"shape": [], "dtype": "int64"},
        "fc.weight": {"shape": [1000, 512]},
        "half.weight": {"dtype": "float16", "shape": [4]}
    }})";
    Result<ArchitectureSpec> spec = architectureFromJson(text, "x");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    const std::vector<ArchEntry>& e = spec.value().entries;
    QCOMPARE(e.size(), size_t(4));
    QCOMPARE(e[0].key, std::string("conv1.weight"));
    QCOMPARE(e[0].shape, (std::vector<int64_t>{64, 3, 7, 7}));
    QVERIFY(e[0].dtype == DType::Unknown); // a bare shape states no dtype
    QCOMPARE(e[1].key, std::string("bn1.num_batches_tracked"));
    QVERIFY(e[1].shape.empty());
    QVERIFY(e[1].dtype == DType::Int64);
    QCOMPARE(e[2].shape, (std::vector<int64_t>{1000, 512}));
    QVERIFY(e[2].dtype == DType::Unknown); // nor does an object without "dtype"
    QVERIFY(e[3].dtype == DType::Float16);
    QCOMPARE(e[3].shape, (std::vector<int64_t>{4}));
}

void TestArchitectureSpec::acceptsPythonDtypeSpelling()
{
    // str(tensor.dtype) in Python gives "torch.int64": the documented one-liner uses it unchanged.
    Result<ArchitectureSpec> spec =
        architectureFromJson(R"({"keys": {"a": {"shape": [2], "dtype": "torch.bfloat16"}}})", "x");
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    QVERIFY(spec.value().entries[0].dtype == DType::BFloat16);
}

void TestArchitectureSpec::scalarAndEmpty()
{
    Result<ArchitectureSpec> empty = architectureFromJson(R"({"keys": {}, "note": "other members are ignored"})", "e");
    QVERIFY(empty.ok());
    QVERIFY(empty.value().entries.empty());
    Result<ArchitectureSpec> zero = architectureFromJson(R"({"keys": {"k": [0, 5]}})", "z");
    QVERIFY(zero.ok());
    QCOMPARE(zero.value().entries[0].shape, (std::vector<int64_t>{0, 5}));
}

void TestArchitectureSpec::rejects_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("mentions");
    const int corrupt = int(Status::Corrupt);
    QTest::newRow("not json") << R"({"keys": {"a": [1,]})" << corrupt << "not valid JSON";
    QTest::newRow("empty text") << "" << corrupt << "not valid JSON";
    QTest::newRow("top-level array") << R"([["a", [1]]])" << corrupt << "not an object";
    QTest::newRow("no keys") << R"({"tensors": {"a": [1]}})" << corrupt << "no \"keys\"";
    QTest::newRow("keys is a list") << R"({"keys": ["a", "b"]})" << corrupt << "\"keys\" is not an object";
    QTest::newRow("shape is a number") << R"({"keys": {"fc.w": 7}})" << corrupt << "'fc.w'";
    QTest::newRow("shape is a string") << R"({"keys": {"fc.w": "[1, 2]"}})" << corrupt << "not an array";
    QTest::newRow("negative size") << R"({"keys": {"fc.w": [3, -1]}})" << corrupt << "-1";
    QTest::newRow("fractional size") << R"({"keys": {"fc.w": [3, 2.5]}})" << corrupt << "2.5";
    QTest::newRow("string size") << R"({"keys": {"fc.w": ["3"]}})" << corrupt << "not a non-negative integer";
    QTest::newRow("null size") << R"({"keys": {"fc.w": [null]}})" << corrupt << "'fc.w'";
    QTest::newRow("huge size") << R"({"keys": {"fc.w": [18446744073709551615]}})" << corrupt << "'fc.w'";
    QTest::newRow("object without shape") << R"({"keys": {"fc.w": {"dtype": "float32"}}})" << corrupt << "no \"shape\"";
    QTest::newRow("unknown dtype") << R"({"keys": {"fc.w": {"shape": [1], "dtype": "float33"}}})" << corrupt
                                   << "float33";
    QTest::newRow("dtype not a string") << R"({"keys": {"fc.w": {"shape": [1], "dtype": 32}}})" << corrupt
                                        << "not a string";
    QString deep = R"({"keys": {"deep": [)";
    for (int i = 0; i < 65; ++i)
        deep += i ? ",1" : "1";
    deep += "]}}";
    QTest::newRow("rank over the limit") << deep << int(Status::LimitExceeded) << "kMaxTensorRank";
    // A million levels: writing the bad size into the message recursed once per level (a stack overflow).
    const QString million = QString("[").repeated(1000000) + QString("]").repeated(1000000);
    QTest::newRow("a size nested a million deep")
        << R"({"keys": {"a": [)" + million + "]}}" << int(Status::LimitExceeded) << "kMaxSpecJsonDepth";
    QTest::newRow("other member nested a million deep")
        << R"({"other": )" + million + R"(, "keys": {"a": [1]}})" << int(Status::LimitExceeded) << "kMaxSpecJsonDepth";
}

void TestArchitectureSpec::rejects()
{
    QFETCH(QString, text);
    QFETCH(int, status);
    QFETCH(QString, mentions);
    Result<ArchitectureSpec> spec = architectureFromJson(text.toStdString(), "bad.json");
    QVERIFY(!spec.ok());
    QCOMPARE(int(spec.error().status), status);
    const QString detail = QString::fromStdString(spec.error().detail);
    QVERIFY2(detail.contains(mentions), qPrintable(detail));
}

// 100,000 entries in both forms, objects among them, some names repeated, written by Python and read back by
// Python's json module (the oracle: first place, last value). The parse callback used before rescanned "keys"
// after every object entry: quadratic, minutes for this input; the cap is generous, not a timing.
void TestArchitectureSpec::manyObjectEntriesEqualPython()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("spec.json");
    const char* script = R"(
import json, sys
parts = []
for i in range(100000):
    name = "layers.%d.w" % (i if i % 1000 else i // 2)  # every thousandth name repeats an earlier one
    if i % 3 == 0:
        value = [i % 7, 3]
    elif i % 3 == 1:
        value = {"shape": [i % 5, 2, 1], "dtype": "torch.float16"}
    else:
        value = {"dtype": "int64", "shape": []}
    parts.append(json.dumps(name) + ": " + json.dumps(value))
text = '{"note": {"keys": {"x": [1]}}, "keys": {' + ", ".join(parts) + '}}'
open(sys.argv[1], "w").write(text)
keys = json.loads(text)["keys"]
truth = []
for name, value in keys.items():
    if isinstance(value, list):
        truth.append([name, value, None])
    else:
        truth.append([name, value["shape"], value.get("dtype", "").replace("torch.", "") or None])
print(json.dumps(truth))
)";
    test::ProcessResult python = test::runPython(script, {path});
    QVERIFY2(python.exitCode == 0, qPrintable(python.err));
    const nlohmann::json truth = nlohmann::json::parse(python.out.toStdString());
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const std::string text = file.readAll().toStdString();

    QElapsedTimer timer;
    timer.start();
    Result<ArchitectureSpec> spec = architectureFromJson(text, "wide.json");
    const qint64 elapsedMs = timer.elapsed();
    QVERIFY2(spec.ok(), spec.ok() ? "" : spec.error().detail.c_str());
    const std::vector<ArchEntry>& entries = spec.value().entries;
    QCOMPARE(entries.size(), truth.size());
    QVERIFY(truth.size() > 99000);
    for (size_t i = 0; i < entries.size(); ++i) {
        QCOMPARE(entries[i].key, truth[i][0].get<std::string>());
        QCOMPARE(entries[i].shape, truth[i][1].get<std::vector<int64_t>>());
        const DType want = truth[i][2].is_null() ? DType::Unknown : *dtypeFromTorchName(truth[i][2].get<std::string>());
        QVERIFY2(entries[i].dtype == want, entries[i].key.c_str());
    }
    QVERIFY2(elapsedMs < 20000, qPrintable(QString("took %1 ms").arg(elapsedMs)));
}

QTEST_GUILESS_MAIN(TestArchitectureSpec)
#include "tst_architecturespec.moc"
