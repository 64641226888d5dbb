//! Daily charts as PNG: one line per series over the last N days.
//!
//! The font is compiled in (DejaVu Sans Mono), so charts render the same on a bare VPS.

use neurocards_core::clock::month_day;
use neurocards_store::DayCount;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use std::sync::Once;

/// Width and height of every chart, in pixels.
pub const SIZE: (u32, u32) = (800, 450);

const FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
const FONT_FAMILY: &str = "sans-serif";
const PALETTE: [RGBColor; 4] = [
    RGBColor(33, 113, 181),
    RGBColor(230, 85, 13),
    RGBColor(49, 163, 84),
    RGBColor(117, 107, 177),
];

/// One line of a chart.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// Legend text.
    pub label: &'a str,
    /// Counts by day; days absent count as zero.
    pub points: &'a [DayCount],
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The drawing failed.
    #[error("drawing the chart failed: {0}")]
    Draw(String),
    /// PNG encoding failed.
    #[error("encoding the chart as PNG failed")]
    Encode(#[from] png::EncodingError),
}

fn draw_error(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

/// Draws `series` over the `days` days ending with `last_day` and returns the PNG bytes.
pub fn daily_chart(
    title: &str,
    series: &[Series<'_>],
    last_day: i64,
    days: i64,
) -> Result<Vec<u8>, ChartError> {
    static FONT_REGISTERED: Once = Once::new();
    FONT_REGISTERED.call_once(|| {
        // The font is compiled in and known to parse; a failure would show as missing text.
        let _ = register_font(FONT_FAMILY, FontStyle::Normal, FONT);
    });
    let first_day = last_day - days + 1;
    let values: Vec<Vec<(i64, i64)>> = series
        .iter()
        .map(|s| {
            (first_day..=last_day)
                .map(|day| {
                    let count = s
                        .points
                        .iter()
                        .find(|p| p.day == day)
                        .map_or(0, |p| p.count);
                    (day, count)
                })
                .collect()
        })
        .collect();
    let top = values
        .iter()
        .flatten()
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(0)
        .max(1);

    let (width, height) = SIZE;
    let mut rgb = vec![0u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(draw_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT_FAMILY, 24))
            .margin(16)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(first_day..last_day, 0..top + top / 10 + 1)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_labels(10)
            .x_label_formatter(&|day| month_day(*day))
            .label_style((FONT_FAMILY, 14))
            .draw()
            .map_err(draw_error)?;
        for (i, (s, points)) in series.iter().zip(&values).enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    color.stroke_width(2),
                ))
                .map_err(draw_error)?
                .label(s.label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart
            .configure_series_labels()
            .label_font((FONT_FAMILY, 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(draw_error)?;
        root.present().map_err(draw_error)?;
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&rgb)?;
        writer.finish()?;
    }
    Ok(png_bytes)
}

/// Days the dashboard charts cover.
pub const CHART_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;

/// Why the dashboard charts could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DashboardChartsError {
    /// The store failed.
    #[error("reading the chart data")]
    Store(#[from] neurocards_store::StoreError),
    /// Drawing failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// The `/admin` charts over the last 30 days: generations by kind, new users, failures.
/// Each is a title and a PNG.
pub async fn dashboard_charts(
    store: &neurocards_store::Store,
) -> Result<Vec<(&'static str, Vec<u8>)>, DashboardChartsError> {
    use neurocards_core::{JobKind, JobState};
    let today = store.now_ms().div_euclid(DAY_MS);
    let since = (today - CHART_DAYS + 1) * DAY_MS;
    let neurocards = store
        .jobs_per_day(since, Some(JobKind::Neurocard), None)
        .await?;
    let reels = store
        .jobs_per_day(since, Some(JobKind::Reels), None)
        .await?;
    let users = store.users_per_day(since).await?;
    let failures = store
        .jobs_per_day(since, None, Some(JobState::Failed))
        .await?;
    let generations = daily_chart(
        "Generations per day",
        &[
            Series {
                label: "neurocards",
                points: &neurocards,
            },
            Series {
                label: "reels",
                points: &reels,
            },
        ],
        today,
        CHART_DAYS,
    )?;
    let new_users = daily_chart(
        "New users per day",
        &[Series {
            label: "new users",
            points: &users,
        }],
        today,
        CHART_DAYS,
    )?;
    let failed = daily_chart(
        "Failed generations per day",
        &[Series {
            label: "failed",
            points: &failures,
        }],
        today,
        CHART_DAYS,
    )?;
    Ok(vec![
        ("📈 Generations per day (30 days)", generations),
        ("👥 New users per day (30 days)", new_users),
        ("⚠️ Failures per day (30 days)", failed),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        (info.width, info.height, pixels)
    }

    #[test]
    fn a_chart_decodes_at_its_size_and_follows_the_data() {
        let today = 20_500;
        let a = [
            DayCount {
                day: today - 3,
                count: 5,
            },
            DayCount {
                day: today,
                count: 9,
            },
        ];
        let b = [DayCount {
            day: today - 1,
            count: 2,
        }];
        let one = daily_chart(
            "Generations per day",
            &[
                Series {
                    label: "neurocard",
                    points: &a,
                },
                Series {
                    label: "reels",
                    points: &b,
                },
            ],
            today,
            30,
        )
        .expect("chart");
        let (width, height, pixels) = decode(&one);
        assert_eq!((width, height), SIZE);
        assert!(pixels.iter().any(|p| *p < 200), "something is drawn");

        let other = [DayCount {
            day: today - 10,
            count: 1,
        }];
        let two = daily_chart(
            "Generations per day",
            &[Series {
                label: "neurocard",
                points: &other,
            }],
            today,
            30,
        )
        .expect("chart");
        assert_ne!(
            decode(&one).2,
            decode(&two).2,
            "different data, different picture"
        );
        let again = daily_chart(
            "Generations per day",
            &[
                Series {
                    label: "neurocard",
                    points: &a,
                },
                Series {
                    label: "reels",
                    points: &b,
                },
            ],
            today,
            30,
        )
        .expect("chart");
        assert_eq!(decode(&one).2, decode(&again).2, "same data, same picture");
    }

    #[test]
    fn dates_label_the_axis() {
        assert_eq!(month_day(0), "01-01");
        assert_eq!(month_day(20_454), "01-01"); // 2026-01-01
        assert_eq!(month_day(20_513), "03-01"); // 2026-03-01
    }
}
