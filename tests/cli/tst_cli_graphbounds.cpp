// The CLI over tests/hostile/graph (make_graph_inputs.py): self-referring tensor rebuilds, modules that name a child
// many ways, memo indices far apart, a storage viewed in two dtypes, names that are not UTF-8. Every command ends
// within 15 s under a 3 GB address-space cap, with exit 0, 1 or 3 and never a signal; the documents say what
// Python's unpickler says (values) or name the problem (tensor problems, findings).
#include <QTest>

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <string>

#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

constexpr int kMemoryCapMiB = 3000; // the issue's `prlimit --as=3000000000`
constexpr int kTimeCapMs = 15000;

QString describe(const test::ChildResult& r)
{
    return QString("exit %1%2%3 after %4 ms; stderr: %5")
        .arg(r.exitCode)
        .arg(r.crashed ? " (signal)" : "")
        .arg(r.timedOut ? " (killed at the time cap)" : "")
        .arg(r.elapsedMs)
        .arg(QString::fromUtf8(r.err.left(400)));
}

// tree --json prints a JSON path as a list of keys and indices; the manifest gives the same shape.
bool sameScalar(const json& ours, const json& python)
{
    if (python.is_number_float() && ours.is_number()) return ours.get<double>() == python.get<double>();
    return ours == python;
}

} // namespace

class TestCliGraphBounds : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void everyCommandEndsWithinCaps_data();
    void everyCommandEndsWithinCaps();
    void documentsAreRight_data();
    void documentsAreRight();
    void safetensorsExportRefusesNonUtf8Name();
    void everyHostileFileEndsWithinCaps_data();
    void everyHostileFileEndsWithinCaps();

private:
    QString pathOf(const json& entry) const
    {
        return QString::fromStdString(test::hostileDir() + "/graph/" + entry["file"].get<std::string>());
    }
    json m_manifest;
    QTemporaryDir m_out;
};

void TestCliGraphBounds::initTestCase()
{
    m_manifest = test::hostileManifest("graph");
    QVERIFY2(m_manifest.contains("graph") && !m_manifest["graph"].empty(),
             "tests/hostile/graph/manifest.json is missing: run tests/hostile/make_graph_inputs.py");
    QVERIFY(m_out.isValid());
}

void TestCliGraphBounds::everyCommandEndsWithinCaps_data()
{
    QTest::addColumn<std::string>("entry");
    QTest::addColumn<QStringList>("args");
    int n = 0;
    for (const json& entry : m_manifest["graph"]) {
        const QString file = QString::fromStdString(entry["file"].get<std::string>());
        const QString in = pathOf(entry);
        const QString out = m_out.filePath(QString("out%1").arg(n++));
        const QList<QStringList> commands{
            {"info", "--json", in},
            {"scan", in},
            {"tree", "--json", in},
            {"export", in, out + ".pth", "--force"},
            {"export", "--drop-dangerous", in, out + "-dropped.pth", "--force"},
            {"export", "--format", "safetensors", in, out + ".safetensors", "--force"},
            {"diff", "--values", in, in},
            {"stats", "--bins", "4", in},
        };
        for (const QStringList& args : commands)
            QTest::newRow(qPrintable(file + ": " + args.first() + (args[1].startsWith("--") ? " " + args[1] : "")))
                << entry.dump() << args;
    }
}

void TestCliGraphBounds::everyCommandEndsWithinCaps()
{
    QFETCH(std::string, entry);
    QFETCH(QStringList, args);
    const test::ChildResult r = test::runCapped(CKPT_EXE, args, kMemoryCapMiB, kTimeCapMs);
    QVERIFY2(!r.timedOut, qPrintable("hang: " + describe(r)));
    QVERIFY2(!r.crashed, qPrintable("crash or out of memory: " + describe(r)));
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1 || r.exitCode == 3, qPrintable(describe(r)));
    if (r.exitCode == 1) // one line naming the cause, not an abort message
        QVERIFY2(r.err.startsWith("ckpt") && !r.err.contains("terminate called"), qPrintable(describe(r)));
    const json e = json::parse(entry);
    if (args.first() == "info" || args.first() == "tree")
        QVERIFY2(r.exitCode == 0 || r.exitCode == 3, qPrintable("a readable file was refused: " + describe(r)));
    if (r.exitCode != 1 && args.contains("--json")) {
        const json doc = json::parse(r.out.toStdString(), nullptr, false);
        QVERIFY2(!doc.is_discarded(), "--json printed something that is not JSON");
    }
}

void TestCliGraphBounds::documentsAreRight_data()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["graph"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestCliGraphBounds::documentsAreRight()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const QString in = pathOf(e);
    const test::ChildResult tree = test::runCapped(CKPT_EXE, {"tree", "--json", in}, kMemoryCapMiB, kTimeCapMs);
    QVERIFY2(!tree.crashed && !tree.timedOut && (tree.exitCode == 0 || tree.exitCode == 3), qPrintable(describe(tree)));
    const json doc = json::parse(tree.out.toStdString());

    if (e.contains("values")) { // Python's unpickler is the oracle
        for (const json& pair : e["values"]) {
            bool found = false;
            for (const json& value : doc["values"])
                if (value["path"] == pair[0]) {
                    found = true;
                    QVERIFY2(sameScalar(value["value"], pair[1]),
                             qPrintable(QString::fromStdString("at " + pair[0].dump() + ": " + value["value"].dump() +
                                                               ", Python says " + pair[1].dump())));
                }
            QVERIFY2(found, qPrintable(QString::fromStdString("no value at " + pair[0].dump())));
        }
    }
    if (e.contains("problem")) {
        const QRegularExpression wanted(QString::fromStdString(e["problem"].get<std::string>()));
        bool found = false;
        for (const json& tensor : doc["tensors"])
            if (tensor.contains("problem") &&
                wanted.match(QString::fromStdString(tensor["problem"].get<std::string>())).hasMatch())
                found = true;
        QVERIFY2(found, qPrintable("no tensor problem matches /" + wanted.pattern() + "/ in " +
                                   QString::fromStdString(doc["tensors"].dump()).left(600)));
    }
    if (e.contains("finding")) {
        const test::ChildResult info = test::runCapped(CKPT_EXE, {"info", "--json", in}, kMemoryCapMiB, kTimeCapMs);
        QVERIFY2(!info.crashed && !info.timedOut, qPrintable(describe(info)));
        const json facts = json::parse(info.out.toStdString());
        const QRegularExpression wanted(QString::fromStdString(e["finding"].get<std::string>()));
        bool found = false;
        for (const json& finding : facts["findings"])
            if (wanted.match(QString::fromStdString(finding["what"].get<std::string>())).hasMatch()) found = true;
        QVERIFY2(found, qPrintable("no finding matches /" + wanted.pattern() +
                                   "/: " + QString::fromStdString(facts["findings"].dump())));
    }
}

void TestCliGraphBounds::safetensorsExportRefusesNonUtf8Name()
{
    // safetensors keys are JSON strings: a name that is not UTF-8 cannot be one. Before, the header's dump() threw
    // type_error 316 out of the exporter and std::terminate aborted the CLI.
    const QString in = QString::fromStdString(test::hostileDir() + "/graph/key_not_utf8.pth");
    const QString out = m_out.filePath("not-utf8.safetensors");
    const test::ChildResult r =
        test::runCapped(CKPT_EXE, {"export", "--format", "safetensors", in, out}, kMemoryCapMiB, kTimeCapMs);
    QVERIFY2(!r.crashed && r.exitCode == 1, qPrintable(describe(r)));
    QVERIFY2(r.err.contains("UTF-8"), qPrintable(describe(r)));
    QVERIFY(!QFile::exists(out));
    // The torch format holds any bytes: that export works, and the JSON listing escapes the name.
    const test::ChildResult tree = test::runCapped(CKPT_EXE, {"tree", "--json", in}, kMemoryCapMiB, kTimeCapMs);
    QCOMPARE(tree.exitCode, 0);
    const json doc = json::parse(tree.out.toStdString());
    QCOMPARE(doc["tensors"].size(), size_t(1));
    QCOMPARE(doc["tensors"][0]["path"][0].get<std::string>(), std::string("w\xEF\xBF\xBD\xEF\xBF\xBD"));
}

// Every input under tests/hostile (corpus, limits, nested, damaged, graph) and every committed fuzz regression
// through info, scan, tree --json, export and export --drop-dangerous, under the same caps: whatever a file
// holds, each command ends with 0, 1 or 3, never a signal or a hang, and an error is one line naming the file.
void TestCliGraphBounds::everyHostileFileEndsWithinCaps_data()
{
    QTest::addColumn<QStringList>("args");
    const QString source = QString::fromStdString(test::hostileDir());
    QStringList inputs;
    const QStringList folders{source, source + "/../fuzz/regressions"};
    for (const QString& folder : folders) {
        QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            if (path.endsWith(".py") || path.endsWith(".md") || path.endsWith("manifest.json")) continue;
            inputs << QDir::cleanPath(path);
        }
    }
    inputs.sort();
    QVERIFY2(inputs.size() > 100, qPrintable(QString("only %1 hostile inputs found").arg(inputs.size())));
    int n = 0;
    for (const QString& in : inputs) {
        const QString out = m_out.filePath(QString("every%1").arg(n++));
        const QString name = QDir(source + "/..").relativeFilePath(in);
        const QList<QStringList> commands{
            {"info", in},
            {"scan", in},
            {"tree", "--json", in},
            {"export", in, out + ".pth", "--force"},
            {"export", "--drop-dangerous", in, out + "-dropped.pth", "--force"},
        };
        for (const QStringList& args : commands)
            QTest::newRow(qPrintable(name + ": " + args.first() + (args[1].startsWith("--") ? " " + args[1] : "")))
                << args;
    }
}

void TestCliGraphBounds::everyHostileFileEndsWithinCaps()
{
    QFETCH(QStringList, args);
    const test::ChildResult r = test::runCapped(CKPT_EXE, args, kMemoryCapMiB, kTimeCapMs, m_out.path());
    QVERIFY2(!r.timedOut, qPrintable("hang: " + describe(r)));
    QVERIFY2(!r.crashed, qPrintable("crash or out of memory: " + describe(r)));
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1 || r.exitCode == 3, qPrintable(describe(r)));
    if (r.exitCode == 1) { // one line naming the file and the cause, not an abort message
        QString input;     // the first argument after the command that is not an option
        for (int i = 1; i < args.size() && input.isEmpty(); ++i)
            if (!args[i].startsWith("--")) input = args[i];
        QVERIFY2(r.err.startsWith("ckpt") && !r.err.contains("terminate called"), qPrintable(describe(r)));
        QVERIFY2(r.err.contains(QFileInfo(input).fileName().toUtf8()),
                 qPrintable("the error does not name the file: " + describe(r)));
    }
    if (r.exitCode != 1 && args.contains("--json"))
        QVERIFY2(!json::parse(r.out.toStdString(), nullptr, false).is_discarded(),
                 "--json printed something that is not JSON");
}

QTEST_GUILESS_MAIN(TestCliGraphBounds)
#include "tst_cli_graphbounds.moc"
