// docker-compose.yml, service mongodb: the mongo image runs this once, when its data volume is new, as the root
// user. Switchyard gets a user of its own that can read and write its database and nothing else.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a mongosh script: require is how it reads a file
const fs = require('fs');
const password = fs.readFileSync('/run/secrets/mongo_app_password', 'utf8').trim();
db.getSiblingDB('admin').createUser({
  user: 'switchyard',
  pwd: password,
  roles: [{ role: 'readWrite', db: 'switchyard' }],
});
