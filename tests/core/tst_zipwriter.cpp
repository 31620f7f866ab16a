// The aligned zip writer: Python's zipfile reads it with correct CRCs, every payload is 64-byte aligned,
// zip64 records read in Python, our reader and torch, and a torch.load of a hand-made archive works.
#include <QTemporaryDir>
#include <QTest>

#include "core/edit/atomicfile.h"
#include "core/io/mappedfile.h"
#include "core/pickle/pickler.h"
#include "core/zip/alignedzipwriter.h"
#include "core/zip/ziparchive.h"
#include "support/exportsupport.h"

using namespace ckpt;

namespace
{

// The pickle torch writes for OrderedDict([('w', tensor)]) with a float storage "0" of `numel` elements.
std::string tensorDictPickle(ValueArena& arena, int64_t rows, int64_t cols)
{
    auto str = [&](const std::string& s) {
        Value* v = arena.make(ValueKind::String);
        v->text = s;
        return v;
    };
    auto integer = [&](int64_t i) {
        Value* v = arena.make(ValueKind::Int);
        v->integer = i;
        return v;
    };
    auto global = [&](const std::string& m, const std::string& n) {
        Value* v = arena.make(ValueKind::Global);
        v->text = m;
        v->text2 = n;
        return v;
    };
    auto tuple = [&](std::vector<const Value*> items) {
        Value* v = arena.make(ValueKind::Tuple);
        v->items = std::move(items);
        return v;
    };
    auto reduce = [&](const Value* callable, const Value* args) {
        Value* v = arena.make(ValueKind::Object);
        v->callable = callable;
        v->args = args;
        return v;
    };
    Value* pid = arena.make(ValueKind::PersistentId);
    pid->items = {tuple({str("storage"), global("torch", "FloatStorage"), str("0"), str("cpu"), integer(rows * cols)})};
    Value* falseValue = arena.make(ValueKind::Bool);
    const Value* hooks = reduce(global("collections", "OrderedDict"), tuple({}));
    const Value* tensor = reduce(global("torch._utils", "_rebuild_tensor_v2"),
                                 tuple({pid, integer(0), tuple({integer(rows), integer(cols)}),
                                        tuple({integer(cols), integer(1)}), falseValue, hooks}));
    Value* dict = reduce(global("collections", "OrderedDict"), tuple({}));
    dict->entries = {{str("w"), tensor}};
    return Pickler::dump(dict).value();
}

} // namespace

class TestZipWriter : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeArchive(const QString& name, bool zip64, std::vector<std::pair<std::string, std::string>> records)
    {
        QString path = m_dir.filePath(name);
        auto file = AtomicFile::create(path.toStdString());
        if (!file) return {};
        AlignedZipWriter zip(*file.value(), "folder", zip64);
        for (const auto& [recordName, payload] : records) {
            if (!zip.addRecord(recordName, payload.data(), payload.size())) return {};
            if (zip.lastPayloadOffset() % AlignedZipWriter::kAlignment != 0) return {};
        }
        if (!zip.finish() || !file.value()->commit()) return {};
        return path;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void pythonReadsItAligned_data()
    {
        QTest::addColumn<bool>("zip64");
        QTest::newRow("plain") << false;
        QTest::newRow("zip64") << true;
    }

    void pythonReadsItAligned()
    {
        QFETCH(bool, zip64);
        std::string big(100000, '\0');
        for (size_t i = 0; i < big.size(); ++i)
            big[i] = static_cast<char>((i * 7919) & 0xff);
        QString path = writeArchive(zip64 ? "z64.zip" : "plain.zip", zip64,
                                    {{"data.pkl", "abc"}, {"data/0", ""}, {"data/1", big}, {"version", "3\n"}});
        QVERIFY(!path.isEmpty());
        QString code =
            "import zipfile, struct, sys\n"
            "z = zipfile.ZipFile(sys.argv[1])\n"
            "assert z.testzip() is None\n"
            "names = [i.filename for i in z.infolist()]\n"
            "assert names == ['folder/data.pkl', 'folder/data/0', 'folder/data/1', 'folder/version'], names\n"
            "big = bytes(((i * 7919) & 0xff) for i in range(100000))\n"
            "assert z.read('folder/data/1') == big and z.read('folder/version') == b'3\\n'\n"
            "raw = open(sys.argv[1], 'rb').read()\n"
            "for i in z.infolist():\n"
            "    assert i.compress_type == 0\n"
            "    n, e = struct.unpack('<HH', raw[i.header_offset + 26:i.header_offset + 30])\n"
            "    assert (i.header_offset + 30 + n + e) % 64 == 0, i.filename\n";
        exporttest::Run run = exporttest::python(code, {path});
        QVERIFY2(run.exitCode == 0, run.err.constData());

        // Our own reader finds the same payloads at the same aligned offsets.
        auto mapped = MappedFile::open(path.toStdString());
        QVERIFY(mapped.ok());
        auto archive = ZipArchive::open(mapped.value()->data(), mapped.value()->size());
        QVERIFY2(archive.ok(), archive.ok() ? "" : archive.error().detail.c_str());
        QCOMPARE(archive.value().entries().size(), size_t(4));
        const ZipEntry* entry = archive.value().find("folder/data/1");
        QVERIFY(entry);
        QCOMPARE(entry->dataOffset % 64, uint64_t(0));
        QCOMPARE(entry->uncompressedSize, uint64_t(big.size()));
        QVERIFY(std::memcmp(mapped.value()->data() + entry->dataOffset, big.data(), big.size()) == 0);
    }

    void torchLoadsAHandMadeArchive_data()
    {
        QTest::addColumn<bool>("zip64");
        QTest::newRow("plain") << false;
        QTest::newRow("zip64") << true;
    }

    void torchLoadsAHandMadeArchive()
    {
        QFETCH(bool, zip64);
        ValueArena arena;
        std::string pickle = tensorDictPickle(arena, 2, 3);
        std::string payload;
        for (int i = 0; i < 6; ++i) {
            float value = static_cast<float>(i) + 0.5f;
            payload.append(reinterpret_cast<const char*>(&value), sizeof value);
        }
        QString path =
            writeArchive(zip64 ? "t64.pth" : "t.pth", zip64,
                         {{"data.pkl", pickle}, {"byteorder", "little"}, {"data/0", payload}, {"version", "3\n"}});
        QVERIFY(!path.isEmpty());
        QString code = "import torch, sys, collections\n"
                       "for wo in (False, True):\n"
                       "    sd = torch.load(sys.argv[1], weights_only=wo)\n"
                       "    assert type(sd) is collections.OrderedDict and list(sd) == ['w']\n"
                       "    assert torch.equal(sd['w'], torch.arange(6, dtype=torch.float32).reshape(2, 3) + 0.5)\n";
        exporttest::Run run = exporttest::python(code, {path});
        QVERIFY2(run.exitCode == 0, run.err.constData());
    }

    void failingSinkStopsTheWriter()
    {
        QString path = m_dir.filePath("fail.zip");
        {
            auto file = AtomicFile::create(path.toStdString());
            QVERIFY(file.ok());
            exporttest::FullDiskSink failing(*file.value(), 5000);
            AlignedZipWriter zip(failing, "folder");
            std::string payload(100000, 'x');
            QVERIFY(zip.addRecord("a", "123", 3).ok());
            VoidResult result = zip.addRecord("b", payload.data(), payload.size());
            QVERIFY(!result.ok());
            QCOMPARE(result.error().status, Status::IoError);
            QVERIFY(QFileInfo::exists(QString::fromStdString(file.value()->tempPath())));
        }
        // Never committed: neither the target nor the temporary file is left behind.
        QVERIFY(!QFileInfo::exists(path));
        for (const QString& name : exporttest::directoryEntries(m_dir.path()))
            QVERIFY2(!name.contains(".ckpt-"), qPrintable(name));
    }
};

QTEST_GUILESS_MAIN(TestZipWriter)
#include "tst_zipwriter.moc"
