#include "models/treefilterproxy.h"

#include <algorithm>

#include <QRegularExpression>

#include "models/checkpointtreemodel.h"
#include "models/modelroles.h"

namespace ckpt::models
{

TreeFilterProxy::TreeFilterProxy(QObject* parent) : QSortFilterProxyModel(parent)
{
    setSortRole(SortRole);
    setDynamicSortFilter(false);
}

void TreeFilterProxy::setTreeModel(CheckpointTreeModel* model)
{
    m_model = model;
    setSourceModel(model);
    // A new tree invalidates the per-node decisions; recompute them before the proxy rebuilds its mapping.
    connect(model, &QAbstractItemModel::modelAboutToBeReset, this, [this] { m_visible.clear(); });
    connect(model, &QAbstractItemModel::modelReset, this, [this] {
        recompute();
        invalidateFilter();
    });
}

void TreeFilterProxy::ensurePaths()
{
    const CheckpointTree* tree = m_model ? m_model->tree().get() : nullptr;
    if (tree == m_pathsFor) return;
    m_pathsFor = tree;
    m_lowerPaths.clear();
    if (!tree) return;
    m_lowerPaths.resize(size_t(tree->size()));
    // Parents precede children, so each path is its parent's path plus one step.
    for (int id = 1; id < tree->size(); ++id) {
        const TreeNode& n = tree->node(id);
        std::string s = n.parent > 0 ? m_lowerPaths[size_t(n.parent)] : std::string();
        if (!s.empty()) s += n.dotted ? '.' : '/';
        s += n.name;
        std::transform(s.end() - long(n.name.size()), s.end(), s.end() - long(n.name.size()),
                       [](unsigned char c) { return char(std::tolower(c)); });
        m_lowerPaths[size_t(id)] = std::move(s);
    }
}

bool TreeFilterProxy::setFilter(const QString& text, bool regex)
{
    m_text = text;
    m_regex = regex;
    m_error.clear();
    if (regex && !text.isEmpty()) {
        QRegularExpression re(text, QRegularExpression::CaseInsensitiveOption);
        if (!re.isValid()) {
            m_error = re.errorString();
            m_text.clear();
        }
    }
    recompute();
    invalidateFilter();
    return m_error.isEmpty();
}

void TreeFilterProxy::setProblemsOnly(bool on)
{
    m_problemsOnly = on;
    recompute();
    invalidateFilter();
}

void TreeFilterProxy::recompute()
{
    m_visible.clear();
    m_visibleLeaves = 0;
    const CheckpointTree* tree = m_model ? m_model->tree().get() : nullptr;
    if (!tree) return;
    const int n = tree->size();
    m_visible.assign(size_t(n), 0);
    const bool textFilter = !m_text.isEmpty();
    if (textFilter) ensurePaths();
    QRegularExpression re;
    std::string needle;
    if (textFilter && m_regex) {
        re = QRegularExpression(m_text, QRegularExpression::CaseInsensitiveOption);
        re.optimize();
    } else if (textFilter) {
        needle = m_text.toLower().toStdString();
    }
    for (int id = 1; id < n; ++id) {
        const TreeNode& node = tree->node(id);
        const bool leaf = node.children.empty();
        if (!leaf) continue; // groups are visible through their leaves
        bool ok = true;
        // A problem is what the one-click repair does not fix: a key that only needs its prefix removed
        // (Renamed) is not one, so a DataParallel file that Repair fixes entirely shows no problem rows.
        if (m_problemsOnly)
            ok = node.payload ||
                 (node.match != MatchState::None && node.match != MatchState::Ok && node.match != MatchState::Renamed);
        if (ok && textFilter) {
            const std::string& path = m_lowerPaths[size_t(id)];
            ok = m_regex ? re.match(QString::fromStdString(path)).hasMatch() : path.find(needle) != std::string::npos;
        }
        if (ok) {
            m_visible[size_t(id)] = 1;
            ++m_visibleLeaves;
        }
    }
    for (int id = n - 1; id > 0; --id)
        if (m_visible[size_t(id)]) m_visible[size_t(tree->node(id).parent)] = 1;
}

bool TreeFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!m_model || m_visible.empty()) return true;
    const QModelIndex idx = m_model->index(sourceRow, 0, sourceParent);
    const int id = m_model->nodeId(idx);
    return id > 0 && size_t(id) < m_visible.size() && m_visible[size_t(id)];
}

} // namespace ckpt::models
