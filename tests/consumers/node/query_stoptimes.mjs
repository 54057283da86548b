// Query a node-gtfs SQLite database through node-gtfs's own API: the stop times of one train
// (trip_short_name), with each stop's timezone. Prints JSON. Usage: node query_stoptimes.mjs CONFIG TRAIN
import { readFileSync } from 'node:fs';
import { openDb, closeDb, getTrips, getStoptimes, getStops } from 'gtfs';

const [configPath, train] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const db = openDb(config);
const trips = getTrips({ trip_short_name: train }, ['trip_id', 'trip_short_name', 'service_id']);
const stoptimes = getStoptimes(
  { trip_id: trips.map((t) => t.trip_id) },
  ['trip_id', 'stop_id', 'stop_sequence', 'arrival_time', 'departure_time'],
  [['stop_sequence', 'ASC']],
);
const stops = getStops({ stop_id: stoptimes.map((s) => s.stop_id) },
  ['stop_id', 'stop_name', 'stop_timezone']);
closeDb(db);
console.log(JSON.stringify({ trips, stoptimes, stops }));
