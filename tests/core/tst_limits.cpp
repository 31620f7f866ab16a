// Resource-limit inputs (tests/hostile/limits): each is opened by the CLI as a child process under a 1 GiB
// address-space cap and a 10 s time cap (a crash, a hang, or running out of memory fails the row), and each refusal
// names the limit or the quantity that broke. Tensor geometry attacks may also open with the tensor marked
// unreadable; that is checked in-process, together with the invariant every readable tensor must keep: its whole
// view lies inside its storage and the storage inside the file.
#include <QTest>

#include <QRegularExpression>

#include <string>

#include "core/format/loader.h"
#include "core/io/mappedfile.h"
#include "support/hostilesupport.h"

using namespace ckpt;
using nlohmann::json;

Q_DECLARE_METATYPE(std::string)

namespace
{

constexpr int kMemoryCapMiB = 1024;
constexpr int kTimeCapMs = 10000;

// Highest byte the view touches, plus one, or -1 when the arithmetic leaves 64 bits or goes negative.
__int128 viewEndBytes(const TensorInfo& t)
{
    const __int128 limit = static_cast<__int128>(1) << 64;
    if (t.shape.size() != t.stride.size() || t.offset < 0) return -1;
    __int128 last = t.offset;
    for (size_t i = 0; i < t.shape.size(); ++i) {
        if (t.shape[i] < 0 || t.stride[i] < 0) return -1;
        if (t.shape[i] == 0) return 0;
        last += static_cast<__int128>(t.shape[i] - 1) * t.stride[i];
        if (last >= limit) return -1;
    }
    __int128 end = (last + 1) * static_cast<__int128>(dtypeElementSize(t.dtype));
    return end >= limit ? -1 : end;
}

// Every tensor the document lets a view read must be entirely inside its storage, and the storage inside its file.
QString readableTensorsInBounds(const Checkpoint& doc)
{
    for (size_t i = 0; i < doc.tensors.size(); ++i) {
        const TensorInfo& t = doc.tensors[i];
        if (!doc.tensorData(static_cast<int>(i))) continue;
        if (t.storage < 0 || t.storage >= static_cast<int>(doc.storages.size()))
            return QString("tensor %1 readable without a storage").arg(i);
        const StorageInfo& s = doc.storages[t.storage];
        const __int128 end = viewEndBytes(t);
        if (end < 0 || end > static_cast<__int128>(s.nbytes))
            return QString("tensor %1 (%2) is readable but its view leaves its %3-byte storage")
                .arg(i)
                .arg(QString::fromStdString(pathToString(t.path)))
                .arg(s.nbytes);
        if (!s.owned && s.file >= 0 && s.file < static_cast<int>(doc.files.size()) && doc.files[s.file] &&
            static_cast<__int128>(s.fileOffset) + s.nbytes > static_cast<__int128>(doc.files[s.file]->size()))
            return QString("storage %1 is marked available but ends past its file").arg(t.storage);
    }
    return {};
}

// The cause part of "ckpt: <file>: <cause>", so a limit's name cannot be matched inside the file's own name.
QString causeOf(const test::ChildResult& r, const QString& path)
{
    const QString err = QString::fromLocal8Bit(r.err);
    const int at = err.indexOf(path + ": ");
    return at < 0 ? err : err.mid(at + path.size() + 2);
}

QString describe(const test::ChildResult& r)
{
    return QString("exit %1%2%3 after %4 ms; stderr: %5")
        .arg(r.exitCode)
        .arg(r.crashed ? " (crashed)" : "")
        .arg(r.timedOut ? " (timed out)" : "")
        .arg(r.elapsedMs)
        .arg(QString::fromLocal8Bit(r.err.left(600)));
}

} // namespace

class TestLimits : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void limitPatternsAreSpecific_data();
    void limitPatternsAreSpecific();
    void cliStaysWithinCaps_data();
    void cliStaysWithinCaps();
    void geometryIsRejectedOrUnreadable_data();
    void geometryIsRejectedOrUnreadable();

private:
    json m_manifest;
};

void TestLimits::initTestCase()
{
    m_manifest = test::hostileManifest("limits");
    QVERIFY2(m_manifest.contains("limits"), "tests/hostile/limits/manifest.json is missing");
    if (test::builtWithAddressSanitizer())
        qInfo("AddressSanitizer build: the 1 GiB address-space cap is not applied (ASan reserves terabytes)");
}

// A limit pattern is only evidence if it cannot match a refusal for some other reason: "end" used to be one of
// the alternatives, and it matches "depends", "append" and every "unexpected end of data". Each pattern must
// reject refusals that name other causes (a different limit, a different structure, a generic failure).
void TestLimits::limitPatternsAreSpecific_data()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["limits"])
        if (!entry["limit"].get<std::string>().empty())
            QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestLimits::limitPatternsAreSpecific()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const QRegularExpression named(QString::fromStdString(e["limit"].get<std::string>()),
                                   QRegularExpression::CaseInsensitiveOption);
    QVERIFY2(named.isValid(), qPrintable(named.errorString()));
    static const char* const kOtherCauses[] = {
        "this file depends on a global the scanner does not know",
        "not a PyTorch checkpoint: the format is not recognised",
        "cannot open the file: permission denied",
        "unknown pickle opcode 0x00",
        "the data that was appended is invalid",
        "the tensor's values are not finite",
        "the file is empty",
        "an unexpected error occurred while reading the file",
    };
    for (const char* other : kOtherCauses)
        QVERIFY2(!named.match(QString::fromLatin1(other)).hasMatch(),
                 qPrintable("/" + named.pattern() + "/ also matches an unrelated refusal: \"" + other + "\""));
}

void TestLimits::cliStaysWithinCaps_data()
{
    QTest::addColumn<std::string>("entry");
    QTest::addColumn<QString>("command");
    for (const json& entry : m_manifest["limits"]) {
        const std::string file = entry["file"].get<std::string>();
        QTest::newRow((file + " info").c_str()) << entry.dump() << "info";
        // Walking the whole graph is where billion-laughs sharing and cycles bite.
        QTest::newRow((file + " tree").c_str()) << entry.dump() << "tree";
    }
}

void TestLimits::cliStaysWithinCaps()
{
    QFETCH(std::string, entry);
    QFETCH(QString, command);
    const json e = json::parse(entry);
    const QString path = QString::fromStdString(test::hostileDir() + "/limits/" + e["file"].get<std::string>());
    QStringList args{command, path};
    if (command == "tree") args << "--json";
    const test::ChildResult r = test::runCapped(CKPT_EXE, args, kMemoryCapMiB, kTimeCapMs);
    QVERIFY2(!r.timedOut, qPrintable("hang: " + describe(r)));
    QVERIFY2(!r.crashed, qPrintable("crash or out of memory: " + describe(r)));
    QVERIFY2(r.exitCode == 0 || r.exitCode == 1, qPrintable(describe(r)));
    QVERIFY2(r.outBytes < (64 << 20), qPrintable(QString("%1 bytes of output").arg(r.outBytes)));
    if (r.exitCode == 1) {
        // The CLI contract: one line naming the file and the cause, no stack trace.
        QVERIFY2(r.err.startsWith("ckpt: "), qPrintable(describe(r)));
        QVERIFY2(r.err.contains(e["file"].get<std::string>().c_str()), qPrintable(describe(r)));
    }
    const std::string expect = e["expect"].get<std::string>();
    if (expect == "error") {
        QVERIFY2(r.exitCode == 1, qPrintable("accepted, expected a refusal naming /" +
                                             QString::fromStdString(e["limit"].get<std::string>()) + "/"));
        const QRegularExpression named(QString::fromStdString(e["limit"].get<std::string>()),
                                       QRegularExpression::CaseInsensitiveOption);
        QVERIFY2(named.match(causeOf(r, path)).hasMatch(),
                 qPrintable("the error does not name the limit /" + named.pattern() + "/: " + describe(r)));
    } else if (expect == "error_or_unavailable" && r.exitCode == 1) {
        const QRegularExpression named(QString::fromStdString(e["limit"].get<std::string>()),
                                       QRegularExpression::CaseInsensitiveOption);
        QVERIFY2(named.match(causeOf(r, path)).hasMatch(),
                 qPrintable("the error does not name the problem /" + named.pattern() + "/: " + describe(r)));
    }
}

void TestLimits::geometryIsRejectedOrUnreadable_data()
{
    QTest::addColumn<std::string>("entry");
    for (const json& entry : m_manifest["limits"])
        if (entry["expect"] == "error_or_unavailable" || entry["expect"] == "bounded")
            QTest::newRow(entry["file"].get<std::string>().c_str()) << entry.dump();
}

void TestLimits::geometryIsRejectedOrUnreadable()
{
    QFETCH(std::string, entry);
    const json e = json::parse(entry);
    const std::string path = test::hostileDir() + "/limits/" + e["file"].get<std::string>();
    auto loaded = loadCheckpoint(path);
    if (!loaded) {
        QVERIFY(!loaded.error().detail.empty());
        return;
    }
    const Checkpoint& doc = *loaded.value();
    const QString broken = readableTensorsInBounds(doc);
    QVERIFY2(broken.isEmpty(), qPrintable(broken));
    if (e["expect"] != "error_or_unavailable") return;
    // Each of these files holds exactly one tensor, and its geometry is impossible: it must not be readable.
    for (size_t i = 0; i < doc.tensors.size(); ++i)
        QVERIFY2(
            !doc.tensorData(static_cast<int>(i)),
            qPrintable(
                QString("tensor %1 is readable: %2").arg(i).arg(QString::fromStdString(e["note"].get<std::string>()))));
}

QTEST_GUILESS_MAIN(TestLimits)
#include "tst_limits.moc"
