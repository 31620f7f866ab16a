// The CLI over the hostile corpus: `ckpt scan` exits 3 and names every dangerous global (text and JSON), and `ckpt
// export` refuses to write a file that would carry a dangerous global: non-zero exit, no output file, no temporary left
// behind, the input untouched.
#include <QTest>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <string>

#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

constexpr int kTimeCapMs = 30000;

QByteArray sha256(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class TestCliHostile : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void scanExitsThreeAndNamesTheGlobal_data();
    void scanExitsThreeAndNamesTheGlobal();
    void exportRefuses_data();
    void exportRefuses();

private:
    void addRows();
    test::ChildResult ckpt(const QStringList& args);

    test::PayloadSandbox m_sandbox;
    json m_manifest;
};

void TestCliHostile::initTestCase()
{
    m_manifest = test::hostileManifest("corpus");
    QVERIFY2(m_manifest.contains("hostile"), "tests/hostile/corpus/manifest.json is missing");
    QString why;
    QVERIFY2(m_sandbox.create(m_manifest, &why), qPrintable(why));
}

test::ChildResult TestCliHostile::ckpt(const QStringList& args)
{
    return test::runCapped(CKPT_EXE, args, 0, kTimeCapMs, m_sandbox.path("cwd"),
                           {"CKPT_SENTINEL_DIR=" + m_sandbox.path("env")});
}

void TestCliHostile::addRows()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["hostile"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestCliHostile::scanExitsThreeAndNamesTheGlobal_data()
{
    addRows();
}

void TestCliHostile::scanExitsThreeAndNamesTheGlobal()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const QString path = QString::fromStdString(test::hostileDir() + "/corpus/" + e["file"].get<std::string>());

    const test::ChildResult text = ckpt({"scan", path});
    QVERIFY2(!text.crashed && !text.timedOut, text.err.constData());
    if (text.exitCode == 1 && e["may_refuse"].get<bool>()) {
        QVERIFY(text.err.startsWith("ckpt: "));
        return;
    }
    QVERIFY2(text.exitCode == 3,
             qPrintable(QString("exit %1: %2%3")
                            .arg(text.exitCode)
                            .arg(QString::fromLocal8Bit(text.out), QString::fromLocal8Bit(text.err))));
    for (const json& name : e["dangerous"]) {
        const QByteArray qualified = QByteArray::fromStdString(name.get<std::string>());
        // The line that names the global says it is dangerous.
        bool named = false;
        for (const QByteArray& line : text.out.split('\n'))
            named = named || (line.contains(qualified) && line.toLower().contains("dangerous"));
        QVERIFY2(named, qPrintable("scan does not name " + qualified + " as dangerous:\n" + text.out));
    }

    const test::ChildResult js = ckpt({"scan", path, "--json"});
    QCOMPARE(js.exitCode, 3);
    const json out = json::parse(js.out.toStdString(), nullptr, false);
    QVERIFY2(out.is_object() && out.contains("globals"), js.out.constData());
    QCOMPARE(out.value("verdict", std::string()), std::string("dangerous"));
    for (const json& name : e["dangerous"]) {
        bool found = false;
        for (const json& g : out["globals"])
            if (g.value("module", std::string()) + "." + g.value("name", std::string()) == name.get<std::string>())
                found = g.value("severity", std::string()) == "dangerous";
        QVERIFY2(found, ("--json does not list " + name.get<std::string>() + " as dangerous").c_str());
    }
}

void TestCliHostile::exportRefuses_data()
{
    addRows();
}

void TestCliHostile::exportRefuses()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const QString path = QString::fromStdString(test::hostileDir() + "/corpus/" + e["file"].get<std::string>());
    const QByteArray before = sha256(path);
    // One folder per row, so a file left behind is blamed on the row that left it.
    QDir out(m_sandbox.path("out/" + QString::fromStdString(e["file"].get<std::string>())));
    QVERIFY(out.mkpath("."));
    const QString target = out.filePath(QString::fromStdString(e["file"].get<std::string>()) + ".exported.pth");

    for (const QString& format : {QStringLiteral("torch"), QStringLiteral("safetensors")}) {
        const test::ChildResult r = ckpt({"export", path, target, "--format", format});
        QVERIFY2(!r.crashed && !r.timedOut, r.err.constData());
        QVERIFY2(r.exitCode != 0, qPrintable("export wrote a file from a hostile input: " + target));
        QVERIFY2(r.exitCode == 1,
                 qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(QString::fromLocal8Bit(r.err))));
        QVERIFY2(r.err.startsWith("ckpt: "), r.err.constData());
        // When there is something to export, the refusal must be about the payload, not an incidental failure.
        if (e["has_weights"].get<bool>())
            QVERIFY2(r.err.toLower().contains("dangerous"), qPrintable("refused for another reason: " + r.err));
        QVERIFY2(!QFile::exists(target), "a refused export left the output file");
        const QStringList left = out.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden);
        QVERIFY2(left.isEmpty(), qPrintable("a refused export left files behind: " + left.join(", ")));
    }
    QCOMPARE(sha256(path), before);
}

QTEST_GUILESS_MAIN(TestCliHostile)
#include "tst_cli_hostile.moc"
