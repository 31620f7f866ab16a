#include "app/securitybanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>

#include "models/formatting.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

namespace
{

using models::q;

} // namespace

SecurityBanner::SecurityBanner(QWidget* parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("securityBanner"));
    setAutoFillBackground(true);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    m_icon = new QLabel(this);
    m_label = new QLabel(this);
    m_label->setWordWrap(true);
    m_label->setTextFormat(Qt::RichText);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    layout->addWidget(m_icon);
    layout->addWidget(m_label, 1);
    hide();
}

void SecurityBanner::clear()
{
    m_dangerous = false;
    m_label->clear();
    hide();
}

QString SecurityBanner::text() const
{
    return m_label->text();
}

void SecurityBanner::showFor(const Checkpoint& doc, int payloadRows)
{
    m_dangerous = doc.verdict() == Severity::Dangerous;
    QStringList problems; // findings other than the dangerous imports, which the red text names itself
    QStringList dangerous;
    for (const GlobalRef& g : doc.globals) {
        if (g.severity == Severity::Dangerous) dangerous << q(g.module + "." + g.name).toHtmlEscaped();
        if (g.severity == Severity::Unknown)
            problems << tr("imports %1, which is not a known PyTorch rebuild function (torch.load with "
                           "weights_only=True refuses it)")
                            .arg(q(g.module + "." + g.name).toHtmlEscaped());
    }
    for (const Finding& f : doc.findings)
        if (f.severity == Severity::Unknown) problems << q(f.what).toHtmlEscaped();
    if (!m_dangerous && problems.isEmpty()) {
        clear();
        return;
    }
    QString html;
    if (m_dangerous) {
        html = tr("<b>Dangerous file: do not torch.load it.</b> It imports %1, code that would run while loading. "
                  "Nothing was run here; the file is shown as recorded.")
                   .arg(dangerous.join(QStringLiteral(", ")));
        if (payloadRows > 0)
            html += QLatin1Char(' ') + tr("%n row(s) marked with a red \"!\" hold the payload.", nullptr, payloadRows);
    } else {
        html = tr("<b>This file has problems</b> that torch.load would refuse or warn about:");
    }
    const int shown = std::min<int>(int(problems.size()), 3);
    if (shown > 0) {
        html += QStringLiteral("<br>") + problems.mid(0, shown).join(QStringLiteral("<br>"));
        if (problems.size() > shown)
            html += QStringLiteral("<br>") +
                    tr("... and %1 more under Security and findings.").arg(problems.size() - shown);
    }
    m_label->setText(html);
    QPalette pal = palette();
    const QColor back = m_dangerous ? QColor(0xb0, 0x10, 0x10) : QColor(0xf0, 0xc0, 0x40);
    pal.setColor(QPalette::Window, back);
    pal.setColor(QPalette::WindowText, m_dangerous ? Qt::white : Qt::black);
    setPalette(pal);
    m_label->setPalette(pal);
    m_icon->setPixmap(m_dangerous ? models::StatusColors::dangerIcon().pixmap(24, 24)
                                  : style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(24, 24));
    show();
}

} // namespace ckpt::app
