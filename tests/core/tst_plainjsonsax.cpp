// sax_parse_plain, the fast path of the safetensors header and shard index readers, against nlohmann::json::sax_parse
// as the oracle: whatever the fast path accepts (or stops at a handler's request), nlohmann must accept (or stop at)
// with exactly the same events; whatever it gives up on is left to nlohmann by its callers, so only agreement on
// the texts it takes matters, and the texts writers produce must be taken (else it would be no fast path).
#include <QFloat16> // QCOMPARE of nlohmann::json values tries qCompare(qfloat16, ...): it needs the whole type
#include <QTest>

#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/io/plainjsonsax.h"

using namespace ckpt;

namespace
{

using Json = nlohmann::json;

// Writes each event as a line; after `limit` events every call returns false (a handler that stops the parse).
class Recorder
{
public:
    explicit Recorder(size_t limit = SIZE_MAX) : m_limit(limit) {}

    bool null() { return add("null"); }
    bool boolean(bool value) { return add(value ? "true" : "false"); }
    bool number_integer(Json::number_integer_t value) { return add("int " + std::to_string(value)); }
    bool number_unsigned(Json::number_unsigned_t value) { return add("uint " + std::to_string(value)); }
    bool number_float(Json::number_float_t, const Json::string_t& text) { return add("float " + text); }
    bool string(Json::string_t& value)
    {
        add("string " + value);
        value = "moved away"; // handlers may take the string (the shard index reader moves keys out)
        return m_events.size() <= m_limit;
    }
    bool binary(Json::binary_t&) { return add("binary"); }
    bool start_object(std::size_t) { return add("{"); }
    bool start_array(std::size_t) { return add("["); }
    bool end_object() { return add("}"); }
    bool end_array() { return add("]"); }
    bool key(Json::string_t& name)
    {
        add("key " + name);
        name = "moved away";
        return m_events.size() <= m_limit;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&)
    {
        m_sawError = true;
        return false;
    }

    const std::vector<std::string>& events() const { return m_events; }
    bool sawError() const { return m_sawError; }

private:
    bool add(std::string event)
    {
        m_events.push_back(std::move(event));
        return m_events.size() <= m_limit;
    }

    size_t m_limit;
    std::vector<std::string> m_events;
    bool m_sawError = false;
};

// Random JSON, mostly in the plain subset, with some of everything else, then sometimes damaged.
class TextMaker
{
public:
    explicit TextMaker(uint32_t seed) : m_random(seed) {}

    std::string make()
    {
        std::string text;
        value(text, 0);
        if (pick(4) == 0) damage(text);
        return text;
    }

private:
    size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(m_random); }

    void space(std::string& text)
    {
        static const char* const kSpaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
        text += kSpaces[pick(7)];
    }

    void stringText(std::string& text)
    {
        static const char* const kStrings[] = {"model.layers.0.weight",
                                               "",
                                               "F32",
                                               "dtype",
                                               "shape",
                                               "a b",
                                               "x\\\"y",
                                               "\\u00e9",
                                               "\xc3\xa9t\xc3\xa9",
                                               "tab\\t",
                                               "\\ud83d\\ude00",
                                               "\\ud800",
                                               "ctl\x01",
                                               "/",
                                               "\\/",
                                               "\x7f"};
        text += '"';
        text += kStrings[pick(16)];
        text += '"';
    }

    void value(std::string& text, int depth)
    {
        space(text);
        const size_t kind = depth > 4 ? 3 + pick(9) : pick(12);
        if (kind <= 1) { // object
            text += '{';
            const size_t members = pick(4);
            for (size_t i = 0; i < members; ++i) {
                if (i) text += ',';
                space(text);
                stringText(text);
                space(text);
                text += ':';
                value(text, depth + 1);
            }
            space(text);
            text += '}';
        } else if (kind == 2) { // array
            text += '[';
            const size_t items = pick(4);
            for (size_t i = 0; i < items; ++i) {
                if (i) text += ',';
                value(text, depth + 1);
            }
            space(text);
            text += ']';
        } else if (kind <= 4) {
            stringText(text);
        } else {
            static const char* const kScalars[] = {"0",
                                                   "7",
                                                   "123456789",
                                                   "18446744073709551615",
                                                   "true",
                                                   "false",
                                                   "null",
                                                   "18446744073709551616",
                                                   "-1",
                                                   "-0",
                                                   "1.5",
                                                   "1e3",
                                                   "2E-2",
                                                   "01",
                                                   "99999999999999999999",
                                                   "0.0"};
            text += kScalars[pick(16)];
        }
        space(text);
    }

    void damage(std::string& text)
    {
        static const std::string kBytes = "{}[],:\" \\-.eE019tfnaul\x01\xef\xbb\xbf\xc3/";
        const size_t at = text.empty() ? 0 : pick(text.size() + 1);
        switch (pick(3)) {
        case 0:
            if (at < text.size()) text.erase(at, 1);
            break;
        case 1:
            text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), kBytes[pick(kBytes.size())]);
            break;
        default:
            if (at < text.size()) text[at] = kBytes[pick(kBytes.size())];
            break;
        }
    }

    std::mt19937 m_random;
};

struct Compared {
    int accepted = 0, stopped = 0, unsure = 0;
};

// One text through both parsers; a failure names the text.
void compare(const std::string& text, size_t limit, Compared& counts)
{
    Recorder fast(limit);
    const PlainJsonOutcome outcome = sax_parse_plain(text, fast);
    if (outcome == PlainJsonOutcome::Unsure) {
        ++counts.unsure;
        return;
    }
    Recorder oracle(limit);
    const bool ok = Json::sax_parse(text, &oracle);
    const QByteArray shown = QByteArray::fromStdString(text).toPercentEncoding(" {}[],:\"");
    if (outcome == PlainJsonOutcome::Accepted) {
        ++counts.accepted;
        QVERIFY2(ok, ("nlohmann refuses a text the fast path accepted: " + shown).constData());
    } else {
        ++counts.stopped;
        QVERIFY2(!ok && !oracle.sawError(),
                 ("nlohmann does not stop where the fast path stopped: " + shown).constData());
    }
    QVERIFY2(fast.events() == oracle.events(), ("events differ: " + shown).constData());
}

} // namespace

class TestPlainJsonSax : public QObject
{
    Q_OBJECT

private slots:
    void writersTextsTakeTheFastPath();
    void leavesTheRestToNlohmann();
    void agreesWithNlohmannOnRandomTexts();
    void deepNestingNeedsNoStack();
};

void TestPlainJsonSax::writersTextsTakeTheFastPath()
{
    // As safetensors' serializer and the Hugging Face index writer (json.dumps) write them.
    const std::string texts[] = {
        R"({"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}    )",
        "{\n  \"metadata\": {\n    \"total_size\": 18446744073709551615\n  },\n  \"weight_map\": {\n    \"b\": "
        "\"model-00001-of-00002.safetensors\"\n  }\n}\n",
        R"({"t":true,"f":false,"n":null,"e":{},"l":[],"z":0})",
        "[ ]",
        "7",
    };
    for (const std::string& text : texts) {
        Recorder fast;
        QCOMPARE(sax_parse_plain(text, fast), PlainJsonOutcome::Accepted);
        Recorder oracle;
        QVERIFY(Json::sax_parse(text, &oracle));
        QCOMPARE(fast.events(), oracle.events());
    }
}

void TestPlainJsonSax::leavesTheRestToNlohmann()
{
    // Valid JSON outside the subset, and errors: all of them nlohmann's to read or to word.
    const std::string texts[] = {
        R"(["\n"])",
        "[\"\xc3\xa9\"]",
        "[-1]",
        "[1.5]",
        "[1e3]",
        "[18446744073709551616]",
        "\xef\xbb\xbf{}",
        "[01]",
        "{} x",
        "[1,]",
        R"({"a":1,})",
        "",
        " ",
        "[\"\x01\"]",
        "{\"a\" 1}",
        "[tru]",
        "[",
        "{\"a\":",
    };
    for (const std::string& text : texts) {
        Recorder fast;
        QVERIFY2(sax_parse_plain(text, fast) == PlainJsonOutcome::Unsure, text.c_str());
    }
}

void TestPlainJsonSax::agreesWithNlohmannOnRandomTexts()
{
    Compared counts;
    TextMaker maker(20261202);
    for (int i = 0; i < 30000; ++i) {
        const std::string text = maker.make();
        compare(text, SIZE_MAX, counts);
        compare(text, static_cast<size_t>(i % 7), counts); // a handler that stops after a few events
        if (QTest::currentTestFailed()) return;
    }
    qInfo("fast path: %d accepted, %d stopped, %d left to nlohmann", counts.accepted, counts.stopped, counts.unsure);
    // Each outcome must occur often, or the comparison above proves little.
    QVERIFY(counts.accepted > 5000);
    QVERIFY(counts.stopped > 2000);
    QVERIFY(counts.unsure > 5000);
}

void TestPlainJsonSax::deepNestingNeedsNoStack()
{
    // A million open arrays: no recursion, so no stack overflow; the unclosed text is left to nlohmann.
    std::string text(1000000, '[');
    Recorder fast(10);
    QCOMPARE(sax_parse_plain(text, fast), PlainJsonOutcome::Stopped);
    std::string closed = std::string(100000, '[') + std::string(100000, ']');
    Recorder all;
    QCOMPARE(sax_parse_plain(closed, all), PlainJsonOutcome::Accepted);
    QCOMPARE(all.events().size(), size_t(200000));
}

QTEST_APPLESS_MAIN(TestPlainJsonSax)
#include "tst_plainjsonsax.moc"
