# shellcheck shell=bash
# Running the Debian package's ZooKeeper by hand, for services.sh and zk-ensemble.sh (sourced).

ZK_JAR=/usr/share/java/zookeeper.jar
ZK_CONF_DIR=/etc/zookeeper/conf
# Debian's zookeeper.jar binds slf4j to nothing; these two (dependencies of the package) give it a log.
ZK_LOG_JARS=(/usr/share/java/slf4j-log4j12.jar /usr/share/java/log4j-1.2.jar)

zk_installed() { [[ -f $ZK_JAR ]] && command -v java >/dev/null 2>&1; }

# zk_ask HOST PORT WORD: prints the server's reply to a four-letter word (ruok, srvr, ...), or fails.
zk_ask() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2 && printf %s '$3' >&3 && cat <&3" 2>/dev/null
}

# zk_mode HOST PORT: leader, follower or standalone while it serves requests; fails otherwise.
zk_mode() {
  local reply
  reply=$(zk_ask "$1" "$2" srvr) || return 1
  [[ $reply =~ Mode:\ (leader|follower|standalone) ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

# zk_base_config DATA_DIR HOST PORT: the zoo.cfg lines every server here shares: a 500 ms tick,
# so sessions may be as short as 1 s, and the four-letter words the scripts and tests ask.
zk_base_config() {
  cat <<EOF
tickTime=500
dataDir=$1
clientPort=$3
clientPortAddress=$2
minSessionTimeout=1000
maxSessionTimeout=60000
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr
EOF
}

# zk_launch CONFIG DIR: starts QuorumPeerMain in the background with its log in DIR/zookeeper.log
# and its pid in DIR/zookeeper.pid.
zk_launch() {
  local config=$1 dir=$2 classpath=$ZK_CONF_DIR:$ZK_JAR jar
  for jar in "${ZK_LOG_JARS[@]}"; do
    [[ ! -f $jar ]] || classpath+=:$jar
  done
  nohup java -Xmx256m -cp "$classpath" \
    -Dzookeeper.log.dir="$dir" -Dzookeeper.root.logger=INFO,CONSOLE \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$config" \
    </dev/null >>"$dir/zookeeper.log" 2>&1 &
  echo $! >"$dir/zookeeper.pid"
}
