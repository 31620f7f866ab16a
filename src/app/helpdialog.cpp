#include "app/helpdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace ckpt::app
{

HelpDialog::HelpDialog(const QList<QAction*>& actions, Page page, QWidget* parent) : QDialog(parent)
{
    setWindowTitle(tr("Checkpoint Inspector Help"));
    resize(720, 560);
    auto* layout = new QVBoxLayout(this);
    m_tabs = new QTabWidget(this);
    m_manual = new QTextBrowser(m_tabs);
    m_manual->setOpenExternalLinks(true);
    m_manual->setSource(QUrl(QStringLiteral("qrc:/manual/manual.html")));
    m_shortcuts = new QTableWidget(0, 2, m_tabs);
    m_shortcuts->setHorizontalHeaderLabels({tr("Keys"), tr("Action")});
    m_shortcuts->verticalHeader()->hide();
    m_shortcuts->horizontalHeader()->setStretchLastSection(true);
    m_shortcuts->setEditTriggers(QAbstractItemView::NoEditTriggers);
    for (const QAction* action : actions) {
        for (const QKeySequence& keys : action->shortcuts()) {
            const int row = m_shortcuts->rowCount();
            m_shortcuts->insertRow(row);
            m_shortcuts->setItem(row, 0, new QTableWidgetItem(keys.toString(QKeySequence::NativeText)));
            QString text = action->text().remove(QLatin1Char('&'));
            if (!action->toolTip().isEmpty() && action->toolTip() != text)
                text += QStringLiteral(": ") + action->toolTip();
            m_shortcuts->setItem(row, 1, new QTableWidgetItem(text));
        }
    }
    m_shortcuts->resizeColumnToContents(0);
    m_tabs->addTab(m_manual, tr("&Manual"));
    m_tabs->addTab(m_shortcuts, tr("&Keyboard shortcuts"));
    m_tabs->setCurrentIndex(page == ManualPage ? 0 : 1);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_tabs);
    layout->addWidget(buttons);
}

QString HelpDialog::manualText() const
{
    return m_manual->toPlainText();
}

QStringList HelpDialog::shortcutLines() const
{
    QStringList lines;
    for (int row = 0; row < m_shortcuts->rowCount(); ++row)
        lines << m_shortcuts->item(row, 0)->text() + QLatin1Char('\t') + m_shortcuts->item(row, 1)->text();
    return lines;
}

int HelpDialog::currentPage() const
{
    return m_tabs->currentIndex();
}

} // namespace ckpt::app
