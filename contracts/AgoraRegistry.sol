// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Agora's registry of a city's services, anchored applications and recorded decisions.
/// @notice What is public about a city's applications, and the rules on it that the chain
/// enforces: a service is registered by the city's admin account with its department's
/// account, its review policy's SHA-256 and an open period; applications are anchored in
/// batches (the RFC 6962 root of up to MAX_BATCH signed submissions) while their service is
/// open; only the service's department records decisions, each citing the policy in force
/// and the decision document's SHA-256, once per application (a referral may be followed by
/// one final decision).
///
/// Every anchored application and every recorded decision takes the next position in one
/// sequence (`entries`), as entries take leaf positions in Agora's embedded ledger; a decision
/// names the position of the application it decides. Nothing here reads or judges an
/// application's content: the signed submissions (with their answers sealed to the
/// department, or only their digests on a public chain) travel in the anchoring call's
/// calldata, and a batch's inclusion proofs and its root are checked off-chain by the same
/// code that checks the embedded ledger's receipts.
///
/// Each application is anchored once: a root is anchored once here, and a submission that
/// appears again, in a later batch, is not a new application to any reader (the first
/// position wins, and an audit reports the repeat). Keeping one storage slot per application
/// on chain (22,100 gas) would cost more than the whole of a batched application's budget.
contract AgoraRegistry {
    /// The most submissions one batch anchors.
    uint256 public constant MAX_BATCH = 512;

    /// A decision that refers the application to an officer; a later final one may follow.
    uint8 public constant REFERRAL = 1;
    /// A final decision: approved or rejected.
    uint8 public constant FINAL = 2;

    struct Service {
        address department; // zero while the service is not registered
        uint48 opens; // unix seconds; anchoring is allowed from here on
        uint48 closes; // unix seconds, exclusive; zero for no end
        uint32 number; // registration order, from 1, as kept in batches
        bytes32 policy; // SHA-256 of the published review policy
    }

    /// One anchored batch, packed into one slot.
    struct Batch {
        uint64 first; // position of its first submission
        uint32 count; // how many submissions (zero: not anchored)
        uint32 service; // the service's number
        uint64 blockNumber; // where it was anchored
        uint64 time; // the block's timestamp
    }

    /// The city's admin account: registers services and changes them.
    address public immutable admin;

    /// Services by key: keccak256 of the service's id in the catalog.
    mapping(bytes32 service => Service) private _services;
    mapping(uint32 number => bytes32 service) public serviceAt;
    uint32 public serviceCount;

    mapping(bytes32 root => Batch) private _batches;

    /// What has been decided of an application (by its key, keccak256 of "applicant\nid"):
    /// 0 nothing, REFERRAL, or FINAL.
    mapping(bytes32 application => uint8) public decided;

    /// Positions taken so far: anchored applications, recorded decisions and access records.
    uint64 public entries;

    event ServiceRegistered(
        bytes32 indexed service, address department, bytes32 policy, uint48 opens, uint48 closes
    );
    event ServicePeriodChanged(bytes32 indexed service, uint48 opens, uint48 closes);
    event PolicyChanged(bytes32 indexed service, bytes32 policy);
    event DepartmentChanged(bytes32 indexed service, address department);

    /// A batch of `count` submissions to `service` took positions `first` to `first+count-1`.
    /// `withSubmissions` says whether the submissions (answers sealed) are in the call's data, or
    /// only digests were anchored and the department receives the submissions another way.
    event BatchAnchored(
        bytes32 indexed service,
        bytes32 indexed root,
        uint64 first,
        uint32 count,
        bool withSubmissions,
        address submitter
    );

    /// The department of `service` decided the application at `applicationPosition`
    /// (anchored in batch `root`); the decision took `position`. `document` is the signed
    /// decision (JSON), whose SHA-256 is `digest`.
    event DecisionRecorded(
        bytes32 indexed service,
        bytes32 indexed application,
        bytes32 indexed root,
        uint64 applicationPosition,
        uint64 position,
        uint8 kind,
        bytes32 policy,
        bytes32 digest,
        bytes document
    );

    /// Someone at the department of `service` opened the application at
    /// `applicationPosition` (anchored in batch `root`); the record took `position`.
    /// `document` is the signed access entry (JSON): who, when and why. Citizens read these to
    /// see who opened their application.
    event AccessRecorded(
        bytes32 indexed service,
        bytes32 indexed application,
        bytes32 indexed root,
        uint64 applicationPosition,
        uint64 position,
        bytes32 digest,
        bytes document
    );

    error NotAdmin(address sender);
    error NotDepartment(bytes32 service, address sender);
    error UnknownService(bytes32 service);
    error ServiceAlreadyRegistered(bytes32 service);
    error ServiceNotOpen(bytes32 service, uint256 time, uint48 opens, uint48 closes);
    error BadPeriod(uint48 opens, uint48 closes);
    error NoDepartment();
    error EmptyBatch();
    error BatchTooLarge(uint256 count, uint256 max);
    error BatchAlreadyAnchored(bytes32 root);
    error UnknownBatch(bytes32 root);
    error WrongService(bytes32 root, bytes32 service);
    error NotInBatch(bytes32 root, uint64 position);
    error PolicyMismatch(bytes32 cited, bytes32 published);
    error DecisionAlreadyRecorded(bytes32 application);
    error BadDecisionKind(uint8 kind);
    error DigestMismatch(bytes32 cited, bytes32 computed);

    constructor(address admin_) {
        admin = admin_ == address(0) ? msg.sender : admin_;
    }

    modifier onlyAdmin() {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        _;
    }

    // ---- services (the city's admin) ----

    function registerService(
        bytes32 service,
        address department,
        bytes32 policy,
        uint48 opens,
        uint48 closes
    ) external onlyAdmin {
        if (_services[service].department != address(0)) revert ServiceAlreadyRegistered(service);
        if (department == address(0)) revert NoDepartment();
        if (closes != 0 && closes <= opens) revert BadPeriod(opens, closes);
        uint32 number = ++serviceCount;
        _services[service] = Service(department, opens, closes, number, policy);
        serviceAt[number] = service;
        emit ServiceRegistered(service, department, policy, opens, closes);
    }

    function setPeriod(bytes32 service, uint48 opens, uint48 closes) external onlyAdmin {
        Service storage s = _registered(service);
        if (closes != 0 && closes <= opens) revert BadPeriod(opens, closes);
        s.opens = opens;
        s.closes = closes;
        emit ServicePeriodChanged(service, opens, closes);
    }

    function setPolicy(bytes32 service, bytes32 policy) external onlyAdmin {
        _registered(service).policy = policy;
        emit PolicyChanged(service, policy);
    }

    function setDepartment(bytes32 service, address department) external onlyAdmin {
        if (department == address(0)) revert NoDepartment();
        _registered(service).department = department;
        emit DepartmentChanged(service, department);
    }

    function getService(bytes32 service)
        external
        view
        returns (address department, bytes32 policy, uint48 opens, uint48 closes, uint32 number)
    {
        Service storage s = _services[service];
        return (s.department, s.policy, s.opens, s.closes, s.number);
    }

    // ---- applications (anyone with an account: citizens' clients, kiosks, relays) ----

    /// Anchors `count` signed submissions to `service` whose RFC 6962 root is `root`. With
    /// `submissions` non-empty they are the batch's signed submissions (answers sealed, in
    /// Agora's compact encoding): the department's desk reads them from this call's data.
    /// Empty means digests only: the submissions reach the department another way.
    function anchor(bytes32 service, bytes32 root, uint32 count, bytes calldata submissions)
        external
        returns (uint64 first)
    {
        Service storage s = _registered(service);
        if (block.timestamp < s.opens || (s.closes != 0 && block.timestamp >= s.closes)) {
            revert ServiceNotOpen(service, block.timestamp, s.opens, s.closes);
        }
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH) revert BatchTooLarge(count, MAX_BATCH);
        if (_batches[root].count != 0) revert BatchAlreadyAnchored(root);
        first = entries;
        entries = first + count;
        _batches[root] =
            Batch(first, count, s.number, uint64(block.number), uint64(block.timestamp));
        emit BatchAnchored(service, root, first, count, submissions.length != 0, msg.sender);
    }

    function getBatch(bytes32 root)
        external
        view
        returns (bytes32 service, uint64 first, uint32 count, uint64 blockNumber, uint64 time)
    {
        Batch storage b = _batches[root];
        return (serviceAt[b.service], b.first, b.count, b.blockNumber, b.time);
    }

    // ---- decisions (the service's department) ----

    /// Records the department's decision on the application `application` (its key), anchored
    /// at `applicationPosition` in batch `root`. `kind` is REFERRAL or FINAL; `policy` must be
    /// the service's published policy; `document` is the signed decision, whose SHA-256 must
    /// be `digest`.
    function decide(
        bytes32 service,
        bytes32 application,
        bytes32 root,
        uint64 applicationPosition,
        uint8 kind,
        bytes32 policy,
        bytes32 digest,
        bytes calldata document
    ) external returns (uint64 position) {
        Service storage s = _departmentOn(service, root, applicationPosition);
        if (policy != s.policy) revert PolicyMismatch(policy, s.policy);
        if (kind != REFERRAL && kind != FINAL) revert BadDecisionKind(kind);
        uint8 before = decided[application];
        if (before == FINAL || (before == REFERRAL && kind == REFERRAL)) {
            revert DecisionAlreadyRecorded(application);
        }
        bytes32 computed = sha256(document);
        if (computed != digest) revert DigestMismatch(digest, computed);
        decided[application] = kind;
        position = entries;
        entries = position + 1;
        emit DecisionRecorded(
            service, application, root, applicationPosition, position, kind, policy, digest, document
        );
    }

    /// Records that the department of `service` opened the application `application` (its
    /// key), anchored at `applicationPosition` in batch `root`; `document` is the signed
    /// access entry, whose SHA-256 must be `digest`.
    function recordAccess(
        bytes32 service,
        bytes32 application,
        bytes32 root,
        uint64 applicationPosition,
        bytes32 digest,
        bytes calldata document
    ) external returns (uint64 position) {
        _departmentOn(service, root, applicationPosition);
        bytes32 computed = sha256(document);
        if (computed != digest) revert DigestMismatch(digest, computed);
        position = entries;
        entries = position + 1;
        emit AccessRecorded(service, application, root, applicationPosition, position, digest, document);
    }

    /// The service, if the caller is its department and `applicationPosition` is in batch
    /// `root` of that service.
    function _departmentOn(bytes32 service, bytes32 root, uint64 applicationPosition)
        private
        view
        returns (Service storage s)
    {
        s = _registered(service);
        if (msg.sender != s.department) revert NotDepartment(service, msg.sender);
        Batch storage b = _batches[root];
        if (b.count == 0) revert UnknownBatch(root);
        if (b.service != s.number) revert WrongService(root, service);
        if (applicationPosition < b.first || applicationPosition >= b.first + b.count) {
            revert NotInBatch(root, applicationPosition);
        }
    }

    function _registered(bytes32 service) private view returns (Service storage s) {
        s = _services[service];
        if (s.department == address(0)) revert UnknownService(service);
    }
}
