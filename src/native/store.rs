//! The native measurement store: one SQLite file (rusqlite, SQLite compiled in) with the profiles (every
//! version kept: a refit adds a version, never overwrites one), the measurements and the fit history, each
//! row holding the same JSON the JS API and `--json` use. `export`/`import` move the whole content as JSON.
//!
//! A file that is not such a database (corrupt, or something else) is reported with its path and left
//! untouched; nothing is written to it.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};

use crate::calibrate::Measurement;
use crate::catalog::hardware::DeviceProfile;
use crate::error::{Error, Result};
use crate::wire::calibration::{
    measurement_dto, measurement_from_dto, ComparisonRecord, Export, MeasurementDto, StoredFit,
    StoredProfile, FORMAT,
};
use crate::wire::{self, HardwareProfileDto};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mmperf_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
  id TEXT NOT NULL, version INTEGER NOT NULL, created_ms REAL NOT NULL, note TEXT NOT NULL,
  json TEXT NOT NULL, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS measurements (
  id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp_ms REAL NOT NULL, hardware TEXT NOT NULL,
  strategy TEXT NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS comparisons (
  id INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fits (
  id INTEGER PRIMARY KEY AUTOINCREMENT, created_ms REAL NOT NULL, profile TEXT NOT NULL,
  from_version INTEGER NOT NULL, to_version INTEGER NOT NULL, json TEXT NOT NULL);
INSERT OR IGNORE INTO mmperf_meta (key, value) VALUES ('format', 'mmperf-measurements-1');
";

/// How long a write waits for another process's write to the same store before it fails: a measurement is
/// a few kB, written in well under a second even on a slow disk.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

impl Store {
    fn err(&self, detail: impl std::fmt::Display) -> Error {
        Error::Storage { location: self.path.display().to_string(), detail: detail.to_string() }
    }

    /// Opens (creating when absent) the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let fail = |detail: String| Error::Storage { location: path.display().to_string(), detail };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        )
        .map_err(|e| fail(format!("cannot open: {e}")))?;
        // Two runs writing the same store at once (two `mmperf measure` processes) wait for each other's
        // write instead of failing with "database is locked".
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| fail(format!("cannot set a busy timeout: {e}")))?;
        let store = Store { conn, path: path.to_path_buf() };
        // Reading the schema first: a file that is not an SQLite database fails here, before any write.
        let format: std::result::Result<Option<String>, _> =
            store
                .conn
                .query_row("SELECT value FROM mmperf_meta WHERE key = 'format'", [], |r| r.get(0));
        match format {
            Ok(Some(f)) if f == FORMAT => {
                // Tables added since the file was made (all `IF NOT EXISTS`).
                store
                    .conn
                    .execute_batch(SCHEMA)
                    .map_err(|e| fail(format!("cannot update the tables: {e}")))?;
            }
            Ok(other) => {
                return Err(fail(format!(
                    "holds format {other:?}, not {FORMAT}: use another --db file"
                )))
            }
            Err(rusqlite::Error::SqliteFailure(e, msg))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(fail(format!(
                    "is not an SQLite database ({}): the file was left untouched; move it away or pass another --db",
                    msg.unwrap_or_else(|| e.to_string())
                )))
            }
            Err(rusqlite::Error::SqliteFailure(_, Some(msg))) if msg.contains("no such table") => {
                let tables: i64 = store
                    .conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(|e| fail(format!("cannot read: {e}")))?;
                if tables > 0 {
                    return Err(fail(
                        "is an SQLite database of something else (it has tables but no mmperf_meta): use another --db file"
                            .to_string(),
                    ));
                }
                store
                    .conn
                    .execute_batch(SCHEMA)
                    .map_err(|e| fail(format!("cannot create the tables: {e}")))?;
            }
            Err(e) => {
                return Err(fail(format!(
                    "cannot be read ({e}): the file was left untouched; move it away or pass another --db"
                )))
            }
        }
        // Write-ahead logging: readers do not block the writer and a crash mid-write leaves the last
        // committed state. Set only once the file is known to be an mmperf store (it rewrites the header).
        let _mode: String = store
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| fail(format!("cannot switch to write-ahead logging: {e}")))?;
        Ok(store)
    }

    /// Stores a measurement (validated first); returns its id.
    pub fn add_measurement(&self, m: &Measurement) -> Result<i64> {
        m.validate()?;
        insert_measurement(&self.conn, m)
            .map_err(|e| self.err(format!("cannot write a measurement: {e}")))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Measurements (all, or those attributed to `hardware`), oldest first, with their ids.
    pub fn measurements(&self, hardware: Option<&str>) -> Result<Vec<(i64, Measurement)>> {
        let sql = "SELECT id, json FROM measurements WHERE ?1 IS NULL OR hardware = ?1 ORDER BY timestamp_ms, id";
        let rows = self.json_rows(sql, params![hardware])?;
        rows.into_iter().map(|(id, json)| Ok((id, self.measurement(id, &json)?))).collect()
    }

    /// Measurement `id` from its stored JSON.
    fn measurement(&self, id: i64, json: &str) -> Result<Measurement> {
        let field = format!("measurement {id}");
        let dto: MeasurementDto = serde_json::from_str(json)
            .map_err(|e| self.err(format!("{field} is not readable: {e}")))?;
        measurement_from_dto(dto, &field)
    }

    /// (id, json) of each row of a `SELECT id, json ...` query.
    fn json_rows(&self, sql: &str, values: impl rusqlite::Params) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows =
            stmt.query_map(values, |r| Ok((r.get(0)?, r.get(1)?))).map_err(|e| self.err(e))?;
        rows.map(|row| row.map_err(|e| self.err(e))).collect()
    }

    /// Stores a new version of `p` (never replacing an old one); returns the version.
    pub fn save_profile(&self, p: &DeviceProfile, note: &str) -> Result<u32> {
        insert_profile(&self.conn, p, note)
            .map_err(|e| self.err(format!("cannot write a profile: {e}")))
    }

    /// The newest version of profile `id`.
    pub fn latest_profile(&self, id: &str) -> Result<Option<(u32, DeviceProfile)>> {
        let v = latest_version(&self.conn, id).map_err(|e| self.err(e))?;
        if v == 0 {
            return Ok(None);
        }
        let sql = "SELECT json FROM profiles WHERE id = ?1 AND version = ?2";
        let json: String =
            self.conn.query_row(sql, params![id, v], |r| r.get(0)).map_err(|e| self.err(e))?;
        let dto: HardwareProfileDto = serde_json::from_str(&json)
            .map_err(|e| self.err(format!("profile {id} v{v} is not readable: {e}")))?;
        Ok(Some((v, DeviceProfile::try_from(dto)?)))
    }

    /// Records a fit.
    pub fn add_fit(
        &self,
        profile: &str,
        from: u32,
        to: u32,
        report: &serde_json::Value,
    ) -> Result<()> {
        let fit = StoredFit {
            created_ms: now_ms(),
            profile: profile.to_owned(),
            from_version: from,
            to_version: to,
            report: report.clone(),
        };
        insert_fit(&self.conn, &fit).map_err(|e| self.err(format!("cannot write the fit: {e}")))
    }

    /// Records a strategy comparison.
    pub fn add_comparison(&self, c: &ComparisonRecord) -> Result<()> {
        insert_comparison(&self.conn, c)
            .map_err(|e| self.err(format!("cannot write the comparison: {e}")))
    }

    /// Every strategy comparison, oldest first.
    pub fn comparisons(&self) -> Result<Vec<ComparisonRecord>> {
        let rows = self.json_rows("SELECT id, json FROM comparisons ORDER BY id", [])?;
        rows.iter().map(|(_, json)| serde_json::from_str(json).map_err(|e| self.err(e))).collect()
    }

    /// Everything, as JSON.
    pub fn export(&self) -> Result<Export> {
        let mut out = Export { format: FORMAT.to_string(), ..Export::default() };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, version, created_ms, note, json FROM profiles ORDER BY id, version",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (id, version, created_ms, note, json) = row.map_err(|e| self.err(e))?;
            let profile = serde_json::from_str(&json).map_err(|e| self.err(e))?;
            out.profiles.push(StoredProfile { id, version, created_ms, note, profile });
        }
        for (id, m) in self.measurements(None)? {
            out.measurements.push(measurement_dto(&m, Some(id)));
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT created_ms, profile, from_version, to_version, json FROM fits ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, f64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (created_ms, profile, from_version, to_version, json) =
                row.map_err(|e| self.err(e))?;
            out.fits.push(StoredFit {
                created_ms,
                profile,
                from_version,
                to_version,
                report: serde_json::from_str(&json).map_err(|e| self.err(e))?,
            });
        }
        out.comparisons = self.comparisons()?;
        Ok(out)
    }

    /// Adds an export's content (profiles as new versions, measurements and fits appended, all validated
    /// before anything is written); returns (profiles, measurements, fits) added.
    pub fn import(&mut self, e: Export) -> Result<(usize, usize, usize)> {
        if e.format != FORMAT {
            return Err(Error::invalid(
                "format",
                &e.format,
                format!("{FORMAT} (an export of mmperf)"),
            ));
        }
        let mut profiles = Vec::new();
        for (i, p) in e.profiles.into_iter().enumerate() {
            let profile = DeviceProfile::try_from(p.profile)
                .map_err(|x| Error::invalid(format!("profiles[{i}]"), "rejected", x.to_string()))?;
            profiles.push((profile, p.note));
        }
        let mut measurements = Vec::new();
        for (i, m) in e.measurements.into_iter().enumerate() {
            measurements.push(measurement_from_dto(m, &format!("measurements[{i}]"))?);
        }
        let loc = self.path.display().to_string();
        let st =
            |x: rusqlite::Error| Error::Storage { location: loc.clone(), detail: x.to_string() };
        let counts = (profiles.len(), measurements.len(), e.fits.len());
        let tx = self.conn.transaction().map_err(st)?;
        for (p, note) in &profiles {
            insert_profile(&tx, p, &format!("imported: {note}")).map_err(st)?;
        }
        for m in &measurements {
            insert_measurement(&tx, m).map_err(st)?;
        }
        for f in &e.fits {
            insert_fit(&tx, f).map_err(st)?;
        }
        for c in &e.comparisons {
            insert_comparison(&tx, c).map_err(st)?;
        }
        tx.commit().map_err(st)?;
        Ok(counts)
    }
}

/// JSON text of a stored record; a value that cannot be written is an SQL conversion error.
fn json_text<T: serde::Serialize>(value: &T) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// The newest version of profile `id`, 0 when there is none.
fn latest_version(conn: &Connection, id: &str) -> rusqlite::Result<u32> {
    let sql = "SELECT coalesce(max(version), 0) FROM profiles WHERE id = ?1";
    conn.query_row(sql, params![id], |r| r.get(0))
}

/// Writes `p` as the next version of its id; returns that version.
fn insert_profile(conn: &Connection, p: &DeviceProfile, note: &str) -> rusqlite::Result<u32> {
    let version = latest_version(conn, &p.id)? + 1;
    let json = json_text(&wire::HardwareProfileDto::from(p))?;
    let sql =
        "INSERT INTO profiles (id, version, created_ms, note, json) VALUES (?1, ?2, ?3, ?4, ?5)";
    conn.execute(sql, params![p.id, version, now_ms(), note, json])?;
    Ok(version)
}

fn insert_measurement(conn: &Connection, m: &Measurement) -> rusqlite::Result<()> {
    let json = json_text(&measurement_dto(m, None))?;
    let sql =
        "INSERT INTO measurements (timestamp_ms, hardware, strategy, json) VALUES (?1, ?2, ?3, ?4)";
    conn.execute(sql, params![m.timestamp_ms, m.hardware, m.strategy.name(), json]).map(drop)
}

fn insert_fit(conn: &Connection, f: &StoredFit) -> rusqlite::Result<()> {
    let sql = "INSERT INTO fits (created_ms, profile, from_version, to_version, json) VALUES (?1, ?2, ?3, ?4, ?5)";
    let values =
        params![f.created_ms, f.profile, f.from_version, f.to_version, f.report.to_string()];
    conn.execute(sql, values).map(drop)
}

fn insert_comparison(conn: &Connection, c: &ComparisonRecord) -> rusqlite::Result<()> {
    let json = json_text(c)?;
    conn.execute("INSERT INTO comparisons (json) VALUES (?1)", params![json]).map(drop)
}
