#!/bin/bash
# The operator-like session shown in docs/agent.md: scheduled full and incremental backups, a retry,
# disableIncrementalBackups, chain and single restores with autoSetTargetIP, snapshot cleanup,
# refusals and metrics, against a running agent. Needs jq, curl, and zfs on the same machine (to write
# test data and read the restored datasets).
#
#   OC=./oc.sh  # a wrapper: node deploy/examples/operator-client.mjs --addr ... --ca ... --cert ... --key ... "$@"
#   BUCKET=agent-demo S3URL=http://127.0.0.1:7480 PARENT=agentp/demo METRICS=127.0.0.1:9564 \
#   OTHER_DATASET=leadp/a ADDR=127.0.0.1:9543 bash deploy/examples/operator-session.sh
# PARENT must be inside the agent's allowedPools and have no child pvc-1, pvc-1-restored, pvc-1-full.
set -e
O=${OC:?set OC to a wrapper around operator-client.mjs}
BUCKET=${BUCKET:?} S3URL=${S3URL:?} PARENT=${PARENT:?} METRICS=${METRICS:-127.0.0.1:9464} ADDR=${ADDR:-127.0.0.1:9443}
URL="s3://$BUCKET/cluster-a?endpoint=$S3URL&region=us-east-1"
DS=$PARENT/pvc-1
zfs create "$DS"
MNT=$(zfs get -H -o value mountpoint "$PARENT")
head -c 12M /dev/urandom > "$MNT/pvc-1/data.bin"
run() { echo "\$ $*"; "$@"; echo; }
job() { jq -r .job.id; }
wait_done() { $O WatchJob "{\"jobId\":\"$1\",\"progressIntervalMs\":200}" | jq -c '.job | {phase, stage: .progress.stage, bytes: .progress.bytes, part: .progress.part, bytesPerSec: .progress.bytesPerSec, etaSeconds: .progress.etaSeconds}'; }

echo "### 1. first scheduled backup: take the snapshot, send it (full)"
run $O CreateSnapshot "{\"dataset\":\"$DS\",\"snapName\":\"sched-20261124200000\"}"
echo "\$ $O Backup '{backupName: sched, volumeName: pvc-1, snapName: sched-20261124200000, dataset: $DS, backupDest: $URL}'"
$O Backup "{\"backupName\":\"sched\",\"volumeName\":\"pvc-1\",\"snapName\":\"sched-20261124200000\",\"dataset\":\"$DS\",\"backupDest\":\"$URL\",\"transfer\":{\"partSizeBytes\":\"5242880\"}}" > b1.json
cat b1.json
J1=$(job < b1.json)
echo "\$ $O WatchJob '{\"jobId\":\"$J1\"}'   (one line per event, condensed with jq)"
wait_done $J1
echo

echo "### 2. next scheduled backup: the operator passes the last snapshot as prevSnapName (incremental)"
head -c 4M /dev/urandom > $MNT/pvc-1/more.bin
echo "\$ sha256sum data.bin more.bin   # in the source at snapshot 2"
(cd $MNT/pvc-1 && sha256sum data.bin more.bin)
run $O CreateSnapshot "{\"dataset\":\"$DS\",\"snapName\":\"sched-20261124210000\"}" >/dev/null
echo "\$ $O Backup '{..., snapName: sched-20261124210000, prevSnapName: sched-20261124200000}'"
J2=$($O Backup "{\"backupName\":\"sched\",\"volumeName\":\"pvc-1\",\"snapName\":\"sched-20261124210000\",\"prevSnapName\":\"sched-20261124200000\",\"dataset\":\"$DS\",\"backupDest\":\"$URL\"}" | job)
wait_done $J2 | tail -1
echo "\$ $O GetJob '{\"jobId\":\"$J2\"}' | jq .backup"
$O GetJob "{\"jobId\":\"$J2\"}" | jq -c .backup
echo

echo "### 3. the operator retries the same request (e.g. after a timeout): it joins the finished job"
$O Backup "{\"backupName\":\"sched\",\"volumeName\":\"pvc-1\",\"snapName\":\"sched-20261124210000\",\"prevSnapName\":\"sched-20261124200000\",\"dataset\":\"$DS\",\"backupDest\":\"$URL\"}" | jq -c '{joined, id: .job.id, phase: .job.phase}'
echo

echo "### 4. disableIncrementalBackups: a full stream although prevSnapName is set"
head -c 2M /dev/urandom > $MNT/pvc-1/more.bin
echo "\$ sha256sum more.bin   # in the source at snapshot 3"
(cd $MNT/pvc-1 && sha256sum more.bin)
$O CreateSnapshot "{\"dataset\":\"$DS\",\"snapName\":\"sched-20261124220000\"}" >/dev/null
echo "\$ $O Backup '{..., snapName: sched-20261124220000, prevSnapName: sched-20261124210000, disableIncrementalBackups: true}'"
J3=$($O Backup "{\"backupName\":\"sched\",\"volumeName\":\"pvc-1\",\"snapName\":\"sched-20261124220000\",\"prevSnapName\":\"sched-20261124210000\",\"disableIncrementalBackups\":true,\"dataset\":\"$DS\",\"backupDest\":\"$URL\"}" | job)
wait_done $J3 | tail -1
$O GetJob "{\"jobId\":\"$J3\"}" | jq -c .backup
echo
echo "\$ $O ListBackups '{location: {url: ...}, volumeName: pvc-1}' | jq (condensed)"
$O ListBackups "{\"location\":{\"url\":\"$URL\"},\"volumeName\":\"pvc-1\"}" | jq -c '.backups[] | {backup, schedule, snapshot, previousSnapshot, sizeBytes, parts, streamHash}'
echo

echo "### 5. restores: the chain up to the incremental one with autoSetTargetIP, and the full one alone"
echo "\$ $O Restore '{restoreName: r1, volumeName: pvc-1, backupName: sched-20261124210000, targetDataset: $PARENT/pvc-1-restored, restoreAllIncrementalSnapshots: true, autoSetTargetIp: true, targetIp: 10.0.0.17, restoreSrc: ...}'"
R1=$($O Restore "{\"restoreName\":\"r1\",\"volumeName\":\"pvc-1\",\"backupName\":\"sched-20261124210000\",\"targetDataset\":\"$PARENT/pvc-1-restored\",\"restoreAllIncrementalSnapshots\":true,\"autoSetTargetIp\":true,\"targetIp\":\"10.0.0.17\",\"restoreSrc\":\"$URL\"}" | job)
wait_done $R1 | tail -1
$O GetJob "{\"jobId\":\"$R1\"}" | jq -c .restore
echo "\$ $O Restore '{restoreName: r2, ..., backupName: sched-20261124220000, targetDataset: $PARENT/pvc-1-full, location: {vsl: {config: {provider: aws, bucket: $BUCKET, region: us-east-1, s3Url: $S3URL, backupPathPrefix: cluster-a}}}}'"
R2=$($O Restore "{\"restoreName\":\"r2\",\"volumeName\":\"pvc-1\",\"backupName\":\"sched-20261124220000\",\"targetDataset\":\"$PARENT/pvc-1-full\",\"location\":{\"vsl\":{\"config\":{\"provider\":\"aws\",\"bucket\":\"$BUCKET\",\"region\":\"us-east-1\",\"s3Url\":\"$S3URL\",\"s3ForcePathStyle\":\"true\",\"backupPathPrefix\":\"cluster-a\"}}}}" | job)
wait_done $R2 | tail -1
$O GetJob "{\"jobId\":\"$R2\"}" | jq -c .restore
run zfs get -H -o name,property,value io.openebs:targetip $PARENT/pvc-1-restored $PARENT/pvc-1-full
echo "\$ sha256sum pvc-1-restored/data.bin pvc-1-restored/more.bin pvc-1-full/more.bin"
(cd $MNT && sha256sum pvc-1-restored/data.bin pvc-1-restored/more.bin pvc-1-full/more.bin) || true
echo

echo "### 6. cleanupCompletedBackup: destroy the previous snapshot, keep the latest as the next base"
run $O DestroySnapshot "{\"dataset\":\"$DS\",\"snapName\":\"sched-20261124200000\"}"
echo "\$ $O ListSnapshots '{\"dataset\":\"$DS\"}' | jq -c '.snapshots[].name'"
$O ListSnapshots "{\"dataset\":\"$DS\"}" | jq -c '[.snapshots[].name]'
echo

echo "### 7. refusals carry a stable code"
echo "\$ $O Backup '{..., dataset: $OTHER_DATASET}'"
$O Backup "{\"backupName\":\"x\",\"volumeName\":\"pvc-1\",\"snapName\":\"x\",\"dataset\":\"$OTHER_DATASET\",\"backupDest\":\"$URL\"}" || true
echo "\$ $O Backup '{..., transfer: {concurrency: 64, partSizeBytes: 1Gi}}'"
$O Backup "{\"backupName\":\"y\",\"volumeName\":\"pvc-1\",\"snapName\":\"sched-20261124220000\",\"dataset\":\"$DS\",\"backupDest\":\"$URL\",\"transfer\":{\"concurrency\":64,\"partSizeBytes\":\"1073741824\"}}" || true
echo "\$ node operator-client.mjs --addr $ADDR --plaintext ListJobs   # no client certificate"
node "$(dirname "$0")/operator-client.mjs" --addr $ADDR --plaintext --timeout 3 ListJobs || true
echo

echo "### 8. metrics"
echo "\$ curl -s $METRICS/metrics | grep -E '^snapstream_(bytes|jobs|memory|parts|backpressure|stalled)'"
curl -s $METRICS/metrics | grep -E '^snapstream_(bytes|jobs|memory|parts|backpressure|stalled|job_duration_seconds_count)'
