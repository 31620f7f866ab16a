// Every real-world checkpoint in ../shared/corpus/wild/files against real PyTorch, read at test time.
//
// tests/fixtures/wild_oracle.py reads each file with torch (weights_only, torch.jit.load, or torch's own
// reader behind an allowlisting unpickler; the script says which and why) and lists the tensors with
// path, dtype, shape and the sha256 of their bytes. Here `ckpt tree --json` must list the same tensors,
// and the bytes the test itself reads from the file at the storage offsets ckpt reports (gathered by the
// reported offset and strides) must hash the same: that checks the locations, not only the metadata.
// For zip archives the storage offsets must also equal those Python's zipfile finds for the records.
// Files torch cannot read must still open as far as their bytes allow, with a finding that says what
// torch would do, or fail with a message that names the file and the cause; never crash or hang.
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/format/loader.h"
#include "support/runprocess.h"

using namespace ckpt::test;
using nlohmann::json;

namespace
{

QString corpusDir()
{
    return QDir::cleanPath(QStringLiteral(CKPT_SOURCE_DIR) + "/../shared/corpus/wild/files");
}

size_t elementSize(const std::string& dtype)
{
    static const std::map<std::string, size_t> sizes = {
        {"float64", 8},     {"float32", 4},   {"float16", 2}, {"bfloat16", 2},      {"int64", 8},
        {"int32", 4},       {"int16", 2},     {"int8", 1},    {"uint8", 1},         {"bool", 1},
        {"complex128", 16}, {"complex64", 8}, {"qint8", 1},   {"quint8", 1},        {"qint32", 4},
        {"uint16", 2},      {"uint32", 4},    {"uint64", 8},  {"float8_e4m3fn", 1}, {"float8_e5m2", 1}};
    auto it = sizes.find(dtype);
    return it == sizes.end() ? 0 : it->second;
}

// The tensor's elements in C order, gathered from the file bytes by offset and strides; empty + reason
// when the view does not fit.
QByteArray gather(const QByteArray& file, uint64_t base, const json& tensor, QString& why)
{
    size_t es = elementSize(tensor["dtype"].get<std::string>());
    std::vector<int64_t> shape = tensor["shape"].get<std::vector<int64_t>>();
    std::vector<int64_t> stride = tensor["stride"].get<std::vector<int64_t>>();
    int64_t offset = tensor["offset"].get<int64_t>();
    if (es == 0 || shape.size() != stride.size()) {
        why = "unknown dtype or rank mismatch";
        return {};
    }
    int64_t numel = 1;
    for (int64_t d : shape)
        numel *= d;
    QByteArray out;
    out.reserve(static_cast<int>(numel * static_cast<int64_t>(es)));
    std::vector<int64_t> index(shape.size(), 0);
    for (int64_t n = 0; n < numel; ++n) {
        int64_t element = offset;
        for (size_t d = 0; d < shape.size(); ++d)
            element += index[d] * stride[d];
        uint64_t at = base + static_cast<uint64_t>(element) * es;
        if (at + es > static_cast<uint64_t>(file.size())) {
            why = "view reaches past the end of the file";
            return {};
        }
        out.append(file.constData() + at, static_cast<int>(es));
        for (size_t d = shape.size(); d-- > 0;) {
            if (++index[d] < shape[d]) break;
            index[d] = 0;
        }
    }
    return out;
}

std::string pathKey(const json& path)
{
    return path.dump();
}

} // namespace

class TestCliWildCorpus : public QObject
{
    Q_OBJECT

    std::map<QString, json> m_oracle; // file name -> what torch read

private slots:
    void initTestCase()
    {
        if (!QDir(corpusDir()).exists())
            QSKIP("../shared/corpus/wild/files is absent (the real-world corpus lives outside the repository)");
        QStringList files;
        for (const QString& name : QDir(corpusDir()).entryList(QDir::Files, QDir::Name))
            files << corpusDir() + "/" + name;
        ProcessResult r =
            runProcess(CKPT_PYTHON,
                       QStringList{QStringLiteral(CKPT_SOURCE_DIR) + "/tests/fixtures/wild_oracle.py"} + files, 600000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err.right(2000)));
        for (const QString& line : r.out.split('\n', Qt::SkipEmptyParts)) {
            json entry = json::parse(line.toStdString());
            m_oracle[QFileInfo(QString::fromStdString(entry["file"].get<std::string>())).fileName()] = entry;
        }
        QCOMPARE(m_oracle.size(), size_t(files.size()));
    }

    void matchesTorch_data()
    {
        QTest::addColumn<QString>("name");
        for (const auto& [name, entry] : m_oracle)
            QTest::newRow(qPrintable(name.left(90))) << name;
    }

    void matchesTorch()
    {
        QFETCH(QString, name);
        checkAgainstTorch(corpusDir() + "/" + name, m_oracle.at(name));
    }

    // The tar format has no sample with a tensors member in the corpus: one made by hand as torch's reader
    // expects it (tests/fixtures/make_tar_checkpoint.py), and read here against that same reader.
    void handMadeTarReadsAsTorchDoes()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.path() + "/old.tar";
        const QString scripts = QStringLiteral(CKPT_SOURCE_DIR) + "/tests/fixtures/";
        ProcessResult made = runProcess(CKPT_PYTHON, {scripts + "make_tar_checkpoint.py", path});
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        ProcessResult oracle = runProcess(CKPT_PYTHON, {scripts + "wild_oracle.py", path});
        QVERIFY2(oracle.exitCode == 0, qPrintable(oracle.err));
        json expected = json::parse(oracle.out.toStdString());
        QCOMPARE(expected["route"].get<std::string>(), std::string("sandboxed"));
        QCOMPARE(expected["tensors"].size(), size_t(4));
        checkAgainstTorch(path, expected);
    }

    // torch 2.x features Debian's 1.13 cannot write: a file laid out byte for byte as 2.x's torch.save does
    // (tests/fixtures/make_torch2_zip.py names its sources), with the tensors its writer put in.
    void handMadeTorch2ZipReads()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.path() + "/two.pt";
        ProcessResult made =
            runProcess(CKPT_PYTHON, {QStringLiteral(CKPT_SOURCE_DIR) + "/tests/fixtures/make_torch2_zip.py", path});
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        json expected = json::parse(made.out.toStdString());
        QCOMPARE(expected["tensors"].size(), size_t(7));
        checkAgainstTorch(path, expected);
        ProcessResult tree = runCkpt({"tree", "--json", path});
        const json doc = json::parse(tree.out.toStdString()); // kept alive: a range over a temporary's member dangles
        for (const json& t : doc["tensors"]) {
            if (t["path"] == json::array({"param"}))
                QVERIFY(t["parameter"].get<bool>() && t["requires_grad"].get<bool>());
        }
    }

    // Damaged variants of the formats this reader added: the message names the record or structure that is
    // wrong, and what could still be read is shown. Made at test time from the hand-made tar and from the
    // corpus's TorchScript v1 file.
    void damagedFilesSayWhatIsWrong_data()
    {
        QTest::addColumn<QString>("python"); // writes argv[1] from argv[2] (the tar) and argv[3] (the v1 zip)
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message"); // in the error, or in a finding when the file opens
        QTest::newRow("tar without pickle member")
            << "import tarfile,sys\nsrc=tarfile.open(sys.argv[2]); dst=tarfile.open(sys.argv[1],'w')\n"
               "[dst.addfile(m, src.extractfile(m)) for m in src.getmembers() if m.name!='pickle']; dst.close()"
            << 1 << "no 'pickle' member";
        QTest::newRow("tar storages member cut short")
            << "import tarfile,sys,io\nsrc=tarfile.open(sys.argv[2]); dst=tarfile.open(sys.argv[1],'w')\n"
               "for m in src.getmembers():\n d=src.extractfile(m).read()\n"
               " if m.name=='storages': d=d[:60]\n m.size=len(d); dst.addfile(m, io.BytesIO(d))\n"
               "dst.close()"
            << 0 << "ends inside storage";
        QTest::newRow("tar header size not octal")
            << "import sys\nd=bytearray(open(sys.argv[2],'rb').read()); d[124:136]=b'zzzzzzzzzzz\\0'\n"
               "open(sys.argv[1],'wb').write(d)"
            << 1 << "size field that is not an octal number";
        QTest::newRow("v1 model.json not JSON")
            << "import zipfile,sys\nsrc=zipfile.ZipFile(sys.argv[3]); dst=zipfile.ZipFile(sys.argv[1],'w')\n"
               "[dst.writestr(i, b'{nope' if i.filename.endswith('model.json') else src.read(i)) for i in "
               "src.infolist()]; dst.close()"
            << 1 << "model.json is not valid JSON";
        QTest::newRow("v1 tensor record missing")
            << "import zipfile,sys\nsrc=zipfile.ZipFile(sys.argv[3]); dst=zipfile.ZipFile(sys.argv[1],'w')\n"
               "[dst.writestr(i, src.read(i)) for i in src.infolist() if not i.filename.endswith('tensors/0')]; "
               "dst.close()"
            << 0 << "tensor record 'tensors/0' is missing";
        QTest::newRow("zip with neither data.pkl nor model.json")
            << "import zipfile,sys\nsrc=zipfile.ZipFile(sys.argv[3]); dst=zipfile.ZipFile(sys.argv[1],'w')\n"
               "[dst.writestr(i, src.read(i)) for i in src.infolist() if not i.filename.endswith('model.json')]; "
               "dst.close()"
            << 1 << "nor a TorchScript v1";
    }

    void damagedFilesSayWhatIsWrong()
    {
        QFETCH(QString, python);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        if (!QDir(corpusDir()).exists()) QSKIP("../shared/corpus/wild/files is absent");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString tar = dir.path() + "/good.tar", damaged = dir.path() + "/damaged.pt";
        ProcessResult made =
            runProcess(CKPT_PYTHON, {QStringLiteral(CKPT_SOURCE_DIR) + "/tests/fixtures/make_tar_checkpoint.py", tar});
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        ProcessResult broke =
            runPython(python, {damaged, tar, corpusDir() + "/LaurentMazare__tch-rs__tests__foo.2019-05-15.pt"});
        QVERIFY2(broke.exitCode == 0, qPrintable(broke.err));
        ProcessResult r = runCkpt({"info", "--json", damaged});
        QVERIFY2(!r.crashed && !r.timedOut, "ckpt crashed or hung");
        QCOMPARE(r.exitCode, exitCode);
        const QString said = exitCode == 0 ? r.out : r.err;
        QVERIFY2(said.contains(message), qPrintable(said));
        if (exitCode != 0) QVERIFY2(r.err.contains("damaged.pt"), qPrintable(r.err));
    }

private:
    static void checkAgainstTorch(const QString& path, const json& expected)
    {
        const std::string route = expected["route"].get<std::string>();
        const QString name = QFileInfo(path).fileName();
        ProcessResult r = runCkpt({"tree", "--json", path}, 120000);
        QVERIFY2(!r.crashed && !r.timedOut, "ckpt tree crashed or hung");

        if (route == "unreadable") {
            // torch cannot read it: either a clear error naming the file, or an opened file with a finding.
            if (r.exitCode != 0) {
                QVERIFY2(r.err.contains(name), qPrintable("error does not name the file: " + r.err));
                QVERIFY2(r.err.size() > name.size() + 30, qPrintable("error gives no cause: " + r.err));
                return;
            }
            ProcessResult info = runCkpt({"info", "--json", path});
            QCOMPARE(info.exitCode, 0);
            json findings = json::parse(info.out.toStdString())["findings"];
            QVERIFY2(!findings.empty(), "torch cannot read this file, but ckpt reports no finding about it");
            return;
        }

        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        json tree = json::parse(r.out.toStdString());
        std::map<std::string, json> storages;
        for (const json& s : tree["storages"])
            storages[s["key"].get<std::string>()] = s;

        // Storage locations agree with Python's zipfile for every data record.
        for (const auto& [record, offset] : expected["records"].items()) {
            if (record.rfind("data/", 0) != 0) continue;
            std::string key = record.substr(5);
            if (!storages.count(key)) continue;
            QCOMPARE(storages[key]["file_offset"].get<uint64_t>(), offset.get<uint64_t>());
        }

        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        // Storages whose bytes live inside the pickle (numpy arrays) are read through the core, in process.
        auto doc = ckpt::loadCheckpoint(path.toStdString());
        if (!doc) QFAIL(doc.error().detail.c_str());

        std::map<std::string, json> actual;
        for (const json& t : tree["tensors"])
            if (!t.value("component", false)) actual[pathKey(t["path"])] = t;
        std::set<std::string> wanted;
        for (const json& want : expected["tensors"]) {
            const std::string key = pathKey(want["path"]);
            wanted.insert(key);
            QVERIFY2(actual.count(key), qPrintable(QString::fromStdString("missing tensor " + key)));
            const json& got = actual[key];
            QVERIFY2(!got.contains("problem"), qPrintable(QString::fromStdString(key + ": " + got.dump())));
            QCOMPARE(got["dtype"].get<std::string>(), want["dtype"].get<std::string>());
            QCOMPARE(got["shape"], want["shape"]);
            if (want.contains("location"))
                QCOMPARE(got["location"].get<std::string>(), want["location"].get<std::string>());
            if (want.contains("q_scale")) {
                QCOMPARE(got["q_scale"].get<double>(), want["q_scale"].get<double>());
                QCOMPARE(got["q_zero_point"].get<int64_t>(), want["q_zero_point"].get<int64_t>());
            }
            QVERIFY2(got["storage"].is_string(), qPrintable(QString::fromStdString(key + " has no storage")));
            const std::string storageKey = got["storage"].get<std::string>();
            const json& storage = storages[storageKey];
            QByteArray data;
            QString why;
            if (storage.value("inflated", false) || storage["location"] == "numpy") {
                const ckpt::Checkpoint& d = *doc.value();
                for (size_t i = 0; i < d.storages.size(); ++i)
                    if (d.storages[i].key == storageKey && d.storageData(static_cast<int>(i))) {
                        QByteArray owned(reinterpret_cast<const char*>(d.storageData(static_cast<int>(i))),
                                         static_cast<int>(d.storages[i].nbytes));
                        data = gather(owned, 0, got, why);
                    }
            } else {
                data = gather(bytes, storage["file_offset"].get<uint64_t>(), got, why);
            }
            QVERIFY2(why.isEmpty(), qPrintable(QString::fromStdString(key) + ": " + why));
            QCOMPARE(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex().toStdString(),
                     want["sha256"].get<std::string>());
        }
        for (const auto& [key, got] : actual)
            QVERIFY2(wanted.count(key), qPrintable(QString::fromStdString("tensor torch does not have: " + key)));
    }
};

QTEST_GUILESS_MAIN(TestCliWildCorpus)
#include "tst_cli_wildcorpus.moc"
