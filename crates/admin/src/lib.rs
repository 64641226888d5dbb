//! What operators look at: the dashboard as text (for `/admin` and `neurocards admin stats`)
//! and daily charts as PNG images (drawn with an embedded font, so no system fonts needed).

pub mod alerts;
pub mod broadcast;
pub mod charts;
pub mod dashboard;
pub mod keys;
pub mod users;

pub use charts::{ChartError, DashboardChartsError, Series, daily_chart, dashboard_charts};
pub use dashboard::render_dashboard;
pub use keys::{KeyReport, key_reports, render_keys};
pub use users::{find_user, job_line, user_report};
