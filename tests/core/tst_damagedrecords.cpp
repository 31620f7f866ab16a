// Damaged records (issue 12, items 11 and 12): real torch.save outputs with one precise defect each
// (tests/hostile/damaged, see make_damaged.py). What real torch.load does with each file is checked here, so the
// expectation is the oracle's, not ours: a file torch refuses (encrypted zip entry, text that is not UTF-8 in a
// legacy stream's sys_info, main pickle or key list) must not open, and the error names the record and the cause;
// a file torch loads although a record's CRC-32 is wrong (torch 1.13 does not check) opens with a finding that
// names the record, which Python's zipfile.testzip() confirms is damaged.
#include <QTest>

#include <QRegularExpression>

#include <string>

#include "core/format/loader.h"
#include "support/exportsupport.h"
#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

class TestDamagedRecords : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void engineSaysWhatIsDamaged_data();
    void engineSaysWhatIsDamaged();
    void torchDoesWhatTheManifestSays();
    void cliExitsOneOnRefusedFiles_data();
    void cliExitsOneOnRefusedFiles();

private:
    QString path(const json& entry) const
    {
        return QString::fromStdString(test::hostileDir() + "/damaged/" + entry["file"].get<std::string>());
    }
    json m_manifest;
};

void TestDamagedRecords::initTestCase()
{
    m_manifest = test::hostileManifest("damaged");
    QVERIFY2(m_manifest.contains("damaged"), "tests/hostile/damaged/manifest.json is missing");
}

void TestDamagedRecords::engineSaysWhatIsDamaged_data()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["damaged"])
        QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestDamagedRecords::engineSaysWhatIsDamaged()
{
    QFETCH(std::string, entry);
    json e = json::parse(entry);
    QRegularExpression pattern(QString::fromStdString(e["pattern"].get<std::string>()));
    auto loaded = loadCheckpoint(path(e).toStdString());
    if (e["expect"] == "error") {
        QVERIFY2(!loaded.ok(), "a file torch refuses opened without an error");
        QVERIFY2(pattern.match(QString::fromStdString(loaded.error().detail)).hasMatch(),
                 loaded.error().detail.c_str());
        return;
    }
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
    bool said = false;
    for (const Finding& finding : loaded.value()->findings)
        said = said || pattern.match(QString::fromStdString(finding.what)).hasMatch();
    QVERIFY2(said, "no finding names the damaged record");
    QCOMPARE(loaded.value()->tensors.size(), size_t(1));
}

void TestDamagedRecords::torchDoesWhatTheManifestSays()
{
    QStringList files;
    for (const json& entry : m_manifest["damaged"])
        files << path(entry);
    exporttest::Run run = exporttest::python("import sys, torch, zipfile\n"
                                             "for path in sys.argv[1:]:\n"
                                             "    try:\n"
                                             "        torch.load(path)\n"
                                             "        verdict = 'loads'\n"
                                             "    except Exception:\n"
                                             "        verdict = 'refuses'\n"
                                             "    bad = None\n"
                                             "    if zipfile.is_zipfile(path):\n"
                                             "        try: bad = zipfile.ZipFile(path).testzip()\n"
                                             "        except Exception: bad = 'unreadable'\n"
                                             "    print(verdict, bad)\n",
                                             files);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QStringList lines = QString::fromUtf8(run.out).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), files.size());
    int i = 0;
    for (const json& entry : m_manifest["damaged"]) {
        const QStringList parts = lines[i++].split(' ');
        QCOMPARE(parts[0], QString::fromStdString(entry["torch"].get<std::string>()));
        if (entry["expect"] == "finding") // zipfile's own CRC check agrees that a record is damaged
            QVERIFY2(parts[1] != "None", qPrintable(path(entry)));
    }
}

void TestDamagedRecords::cliExitsOneOnRefusedFiles_data()
{
    engineSaysWhatIsDamaged_data();
}

void TestDamagedRecords::cliExitsOneOnRefusedFiles()
{
    QFETCH(std::string, entry);
    json e = json::parse(entry);
    for (const char* command : {"info", "scan"}) {
        exporttest::Run run = exporttest::ckpt({command, path(e)});
        QCOMPARE(run.exitCode, e["expect"] == "error" ? 1 : 0);
        if (e["expect"] == "error")
            QVERIFY2(run.err.contains(QFileInfo(path(e)).fileName().toUtf8()), run.err.constData());
    }
}

QTEST_GUILESS_MAIN(TestDamagedRecords)
#include "tst_damagedrecords.moc"
