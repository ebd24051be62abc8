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
        let json = serde_json::to_string(&measurement_dto(m, None)).map_err(|e| self.err(e))?;
        self.conn
            .execute(
                "INSERT INTO measurements (timestamp_ms, hardware, strategy, json) VALUES (?1, ?2, ?3, ?4)",
                params![m.timestamp_ms, m.hardware, m.strategy.name(), json],
            )
            .map_err(|e| self.err(format!("cannot write a measurement: {e}")))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Measurements (all, or those attributed to `hardware`), oldest first, with their ids.
    pub fn measurements(&self, hardware: Option<&str>) -> Result<Vec<(i64, Measurement)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, json FROM measurements WHERE ?1 IS NULL OR hardware = ?1 ORDER BY timestamp_ms, id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![hardware], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, json) = row.map_err(|e| self.err(e))?;
            let field = format!("measurement {id}");
            let dto: MeasurementDto = serde_json::from_str(&json)
                .map_err(|e| self.err(format!("{field} is not readable: {e}")))?;
            out.push((id, measurement_from_dto(dto, &field)?));
        }
        Ok(out)
    }

    /// Stores a new version of `p` (never replacing an old one); returns the version.
    pub fn save_profile(&self, p: &DeviceProfile, note: &str) -> Result<u32> {
        let version = self.latest_version(&p.id)? + 1;
        let json =
            serde_json::to_string(&wire::HardwareProfileDto::from(p)).map_err(|e| self.err(e))?;
        self.conn
            .execute(
                "INSERT INTO profiles (id, version, created_ms, note, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![p.id, version, now_ms(), note, json],
            )
            .map_err(|e| self.err(format!("cannot write a profile: {e}")))?;
        Ok(version)
    }

    fn latest_version(&self, id: &str) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT coalesce(max(version), 0) FROM profiles WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The newest version of profile `id`.
    pub fn latest_profile(&self, id: &str) -> Result<Option<(u32, DeviceProfile)>> {
        let v = self.latest_version(id)?;
        if v == 0 {
            return Ok(None);
        }
        let json: String = self
            .conn
            .query_row(
                "SELECT json FROM profiles WHERE id = ?1 AND version = ?2",
                params![id, v],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
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
        self.conn
            .execute(
                "INSERT INTO fits (created_ms, profile, from_version, to_version, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![now_ms(), profile, from, to, report.to_string()],
            )
            .map_err(|e| self.err(format!("cannot write the fit: {e}")))?;
        Ok(())
    }

    /// Records a strategy comparison.
    pub fn add_comparison(&self, c: &ComparisonRecord) -> Result<()> {
        let json = serde_json::to_string(c).map_err(|e| self.err(e))?;
        self.conn
            .execute("INSERT INTO comparisons (json) VALUES (?1)", params![json])
            .map_err(|e| self.err(format!("cannot write the comparison: {e}")))?;
        Ok(())
    }

    /// Every strategy comparison, oldest first.
    pub fn comparisons(&self) -> Result<Vec<ComparisonRecord>> {
        let mut stmt = self
            .conn
            .prepare("SELECT json FROM comparisons ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(|e| self.err(e))?;
            out.push(serde_json::from_str(&json).map_err(|e| self.err(e))?);
        }
        Ok(out)
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
            let v: u32 = tx
                .query_row(
                    "SELECT coalesce(max(version), 0) FROM profiles WHERE id = ?1",
                    params![p.id],
                    |r| r.get(0),
                )
                .map_err(st)?;
            let json =
                serde_json::to_string(&wire::HardwareProfileDto::from(p)).unwrap_or_default();
            tx.execute(
                "INSERT INTO profiles (id, version, created_ms, note, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![p.id, v + 1, now_ms(), format!("imported: {note}"), json],
            )
            .map_err(st)?;
        }
        for m in &measurements {
            let json = serde_json::to_string(&measurement_dto(m, None)).unwrap_or_default();
            tx.execute(
                "INSERT INTO measurements (timestamp_ms, hardware, strategy, json) VALUES (?1, ?2, ?3, ?4)",
                params![m.timestamp_ms, m.hardware, m.strategy.name(), json],
            )
            .map_err(st)?;
        }
        for f in &e.fits {
            tx.execute(
                "INSERT INTO fits (created_ms, profile, from_version, to_version, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![f.created_ms, f.profile, f.from_version, f.to_version, f.report.to_string()],
            )
            .map_err(st)?;
        }
        for c in &e.comparisons {
            let json = serde_json::to_string(c).unwrap_or_default();
            tx.execute("INSERT INTO comparisons (json) VALUES (?1)", params![json]).map_err(st)?;
        }
        tx.commit().map_err(st)?;
        Ok(counts)
    }
}
