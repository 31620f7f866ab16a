#include "models/statuscolors.h"

#include <QFont>
#include <QGuiApplication>
#include <QHash>
#include <QPainter>
#include <QPixmap>

namespace ckpt::models
{

bool StatusColors::isDark(const QPalette& palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor StatusColors::foreground(MatchState state, const QPalette& palette)
{
    const bool dark = isDark(palette);
    switch (state) {
    case MatchState::Ok:
        return dark ? QColor(0x7d, 0xd8, 0x7d) : QColor(0x1b, 0x7a, 0x1b);
    case MatchState::Renamed:
        return dark ? QColor(0x7a, 0xb8, 0xff) : QColor(0x15, 0x5e, 0xc2);
    case MatchState::DtypeMismatch:
        return dark ? QColor(0xff, 0xc8, 0x5a) : QColor(0x9a, 0x5b, 0x00);
    case MatchState::ShapeMismatch:
        return dark ? QColor(0xff, 0x8a, 0x7a) : QColor(0xb3, 0x26, 0x1e);
    case MatchState::Unexpected:
        return dark ? QColor(0xd9, 0x9c, 0xff) : QColor(0x7b, 0x2f, 0xa8);
    case MatchState::Missing:
        // A missing key fails a strict load: as visible as the other problems, not greyed out like a disabled row.
        return dark ? QColor(0xf4, 0x8f, 0xb1) : QColor(0xad, 0x14, 0x57);
    case MatchState::None:
        break;
    }
    return palette.color(QPalette::Text);
}

QColor StatusColors::background(MatchState state, const QPalette& palette)
{
    if (state == MatchState::None || state == MatchState::Ok) return {};
    QColor c = foreground(state, palette);
    c.setAlpha(isDark(palette) ? 48 : 28);
    return c;
}

static QChar glyph(MatchState state)
{
    switch (state) {
    case MatchState::Ok:
        return QChar(0x2713); // check mark
    case MatchState::Renamed:
        return QChar(0x21bb); // clockwise arrow: fixable
    case MatchState::DtypeMismatch:
        return QChar(0x2248); // almost equal
    case MatchState::ShapeMismatch:
        return QChar(0x2260); // not equal
    case MatchState::Unexpected:
        return QLatin1Char('+');
    case MatchState::Missing:
        return QChar(0x2212); // minus
    case MatchState::None:
        break;
    }
    return QLatin1Char(' ');
}

QIcon StatusColors::icon(MatchState state)
{
    static QHash<int, QIcon> cache;
    const bool dark = isDark(QGuiApplication::palette());
    const int key = int(state) * 2 + (dark ? 1 : 0);
    auto it = cache.find(key);
    if (it != cache.end()) return *it;
    QIcon icon;
    if (state != MatchState::None) {
        // Drawn at two sizes so high-DPI screens get a sharp icon.
        for (int size : {16, 32}) {
            QPixmap pm(size, size);
            pm.fill(Qt::transparent);
            QPainter p(&pm);
            p.setRenderHint(QPainter::Antialiasing);
            const QColor fg = foreground(state, QGuiApplication::palette());
            p.setBrush(fg);
            p.setPen(Qt::NoPen);
            p.drawEllipse(QRectF(1, 1, size - 2, size - 2));
            QFont f = p.font();
            f.setBold(true);
            f.setPixelSize(int(size * 0.75));
            p.setFont(f);
            p.setPen(fg.lightness() > 140 ? Qt::black : Qt::white);
            p.drawText(QRect(0, 0, size, size), Qt::AlignCenter, QString(glyph(state)));
            p.end();
            icon.addPixmap(pm);
        }
    }
    cache.insert(key, icon);
    return icon;
}

QIcon StatusColors::dangerIcon()
{
    static QIcon icon = [] {
        QIcon made;
        for (int size : {16, 32}) {
            QPixmap pm(size, size);
            pm.fill(Qt::transparent);
            QPainter p(&pm);
            p.setRenderHint(QPainter::Antialiasing);
            p.setBrush(QColor(0xc0, 0x10, 0x10));
            p.setPen(Qt::NoPen);
            p.drawEllipse(QRectF(1, 1, size - 2, size - 2));
            QFont f = p.font();
            f.setBold(true);
            f.setPixelSize(int(size * 0.75));
            p.setFont(f);
            p.setPen(Qt::white);
            p.drawText(QRect(0, 0, size, size), Qt::AlignCenter, QStringLiteral("!"));
            p.end();
            made.addPixmap(pm);
        }
        return made;
    }();
    return icon;
}

QColor StatusColors::dangerColor(const QPalette& palette)
{
    return isDark(palette) ? QColor(0xff, 0x6b, 0x6b) : QColor(0xc0, 0x10, 0x10);
}

QColor StatusColors::accentColor(const QPalette& palette)
{
    return isDark(palette) ? QColor(0xff, 0xb8, 0x4d) : QColor(0xa8, 0x4a, 0x00);
}

} // namespace ckpt::models
